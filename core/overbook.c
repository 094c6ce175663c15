/* core/overbook.c — see overbook.h for the rule and why. Pure arithmetic; no state. */
#include "overbook.h"

#include <math.h>

vq_overbook_rule vq_overbook_default_rule(void)
{
	vq_overbook_rule r = {.min_sample = VQ_OVERBOOK_MIN_SAMPLE,
	                      .max_pct = VQ_OVERBOOK_MAX_PCT,
	                      .z = VQ_OVERBOOK_Z};
	return r;
}

/* Wilson's lower bound for a proportion k/n at quantile z: unlike p - z*sqrt(p(1-p)/n) it
 * stays in [0, 1] and behaves at p = 0 and with small n. */
static double wilson_low(double k, double n, double z)
{
	double p = k / n, z2 = z * z;
	double centre = p + z2 / (2 * n);
	double spread = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
	double low = (centre - spread) / (1 + z2 / n);
	return low < 0 ? 0 : low;
}

int vq_overbook_suggest(const vq_noshow *s, const vq_overbook_rule *rule, vq_overbook_advice *out)
{
	vq_overbook_rule def = vq_overbook_default_rule();
	if (!rule)
		rule = &def;
	if (!s || !out || s->seats < 0 || s->no_shows < 0 || s->no_shows > s->seats ||
	    rule->min_sample < 1 || rule->max_pct < 0 || rule->max_pct > 100 || !(rule->z >= 0) ||
	    rule->z > 10)
		return VQ_EINVAL;
	vq_overbook_advice a = {.suggested_pct = -1, .rate = 0, .rate_low = 0};
	if (s->seats > 0) {
		a.rate = (double)s->no_shows / (double)s->seats;
		a.rate_low = wilson_low((double)s->no_shows, (double)s->seats, rule->z);
	}
	if (s->seats >= rule->min_sample) {
		/* sold = base / (1 - p) fills base on average: overbook p / (1 - p) of base. The
		 * cap is applied before the conversion, so the int always holds the value. */
		double pct = a.rate_low >= 1 ? rule->max_pct : 100 * a.rate_low / (1 - a.rate_low);
		a.suggested_pct = pct >= rule->max_pct ? rule->max_pct : (int)floor(pct);
	}
	*out = a;
	return VQ_OK;
}
