/*
 * crashpoint.h - a test hook with which crash tests reach chosen steps of a stage for
 * sure, not only when a random SIGKILL happens to land there.
 *
 * SLUICE_TEST_CRASH="POINT:PERCENT" makes the process kill itself (SIGKILL) when it passes
 * the point named POINT, with that chance. Stages name their points in their own header
 * comment (validator: output, outputs, commit; crawler: scanned, commit). Unset (in
 * production), a point costs one branch.
 */
#ifndef SL_CRASHPOINT_H
#define SL_CRASHPOINT_H

void sl_crash_point(const char *point);

#endif
