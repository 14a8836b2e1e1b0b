/*
 * transform.c - the default transform (every record as it is, with the source table's
 * catalog schema) and the choice of a job's transform (transform.h).
 */
#include "etl/transform.h"

#include <stdlib.h>

struct dflt {
	const struct sl_etl_xform_env *env;
};

static int dflt_open(const struct sl_etl_xform_env *env, void **state, struct sl_type **row,
		     struct sl_err *err)
{
	struct dflt *d = calloc(1, sizeof(*d));
	if (!d || !(*row = sl_type_clone(env->src_row))) {
		free(d);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	d->env = env;
	*state = d;
	return 0;
}

static int dflt_record(void *state, const struct sl_etl_rec *rec, struct sl_err *err)
{
	const struct sl_etl_xform_env *env = ((struct dflt *)state)->env;
	return env->emit(env->ctx, rec, rec->doc, err);
}

static int dflt_finish(void *state, struct sl_type **row, struct sl_err *err)
{
	(void)state;
	(void)row;
	(void)err;
	return 0;
}

const struct sl_etl_xform_ops sl_etl_xform_default = {
	.name = "default",
	.open = dflt_open,
	.record = dflt_record,
	.finish = dflt_finish,
	.free = free,
};

const struct sl_etl_xform_ops *sl_etl_xform_for(const struct sl_job_conf *conf)
{
	if (conf->sql[0])
		return &sl_etl_xform_sql;
	if (conf->mapping[0])
		return &sl_etl_xform_mapping;
	return &sl_etl_xform_default;
}
