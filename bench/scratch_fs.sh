# Sourced by the benchmark scripts: picks the file system to measure on and sets
#   dir  the scratch directory (made)
#   fs   a description of the file system, for the report
# Without BENCH_DIR, and when run as root, that is a fresh ext4 file system with its
# default journal (a loop-mounted sparse image under /tmp), so that figures do not depend
# on what else the machine's disk did in the last minutes (on ext4 without a journal, a
# mass delete makes the inode allocator scan recently deleted inodes for minutes). The
# image is unmounted and removed on exit.
img=""
if [ -z "${BENCH_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && command -v mkfs.ext4 >/dev/null; then
	img=$(mktemp /tmp/sluice-bench-XXXXXX.img)
	dir=$(mktemp -d /tmp/sluice-bench-mnt-XXXXXX)
	truncate -s 8G "$img"
	# inode tables and journal written now, not by ext4lazyinit in the background
	# during the first minutes of the measurements
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img"
	if mount -o loop "$img" "$dir"; then
		trap 'umount "$dir"; rm -rf "$img" "$dir"' EXIT
		fs="fresh ext4 with journal (loop image)"
	else
		rm -f "$img"; img=""
	fi
fi
if [ -z "$img" ]; then
	dir=${BENCH_DIR:-/tmp/sluice-bench}
	mkdir -p "$dir"
	fs="$(df -T "$dir" 2>/dev/null | awk 'NR==2 {print $2}') at $dir"
fi
mkdir -p "$dir"
