/* core/merge.c — see merge.h. Pure arithmetic on integers; no state. */
#include "merge.h"

int vq_merge_ratio(int base_fast, int base_standby, int backlog, int fast_per_hour, vq_merge *out)
{
	if (base_fast < 1 || base_fast > 99 || base_standby < 1 || base_standby > 99 ||
	    backlog < 0 || fast_per_hour < 1 || !out)
		return VQ_EINVAL;
	/* rounded up: one guest waiting is a minute's wait, not none */
	int minutes = (int)(((int64_t)backlog * 60 + fast_per_hour - 1) / fast_per_hour);
	vq_merge m = {
	    .fast = base_fast, .standby = base_standby, .phase = 0, .backlog_min = minutes};
	if (minutes >= VQ_MERGE_PHASE3_MIN) {
		m.phase = 3;
		m.standby = 0;
	} else if (minutes >= VQ_MERGE_PHASE2_MIN) {
		m.phase = 2;
		m.fast = base_fast * 4;
	} else if (minutes >= VQ_MERGE_PHASE1_MIN) {
		m.phase = 1;
		m.fast = base_fast * 2;
	}
	*out = m;
	return VQ_OK;
}
