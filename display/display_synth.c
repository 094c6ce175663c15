/* display/display_synth.c — the made-up park (see display_synth.h).
 *
 * Owns only the recipe: which attraction is closed, reopened, a desk or sold out is a
 * fixed function of its index, so a given nattrs always makes the same board.
 */
#include "display/display_synth.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SYNTH_SITE "bench"

/* Names in en, ru, ro, long ones among them: a board must fit real names. */
static const char *const NAMES[][3] = {
    {"Thunder Coaster", "Громовые горки", "Montagnele rusești „Tunetul”"},
    {"Log Flume", "Сплав на брёвнах", "Râul cu bușteni"},
    {"Haunted Mine", "Шахта с привидениями", "Mina bântuită"},
    {"Imperial Carousel", "Императорская карусель", "Caruselul împărătesc"},
    {"Sky Drop Tower", "Башня свободного падения", "Turnul căderii libere"},
    {"Kids' Railway", "Детская железная дорога", "Trenulețul copiilor"},
    {"Guest Services", "Служба гостей", "Serviciul pentru vizitatori"},
};
#define NNAMES ((int)(sizeof NAMES / sizeof NAMES[0]))

static const char *const TIERS[][4] = {
    {"standard", "Standard", "Стандарт", "Standard"},
    {"silver", "Silver", "Серебро", "Argint"},
    {"gold", "Gold", "Золото", "Aur"},
    {"platinum", "Platinum", "Платина", "Platină"},
};

int vq_board_synth_msg(vq_sitestate *ss, vq_board *b, const char *suffix, const char *json,
                       int64_t now_ms)
{
	char topic[VQ_BUS_TOPIC_MAX];
	snprintf(topic, sizeof topic, "vq/v1/" SYNTH_SITE "/%s", suffix);
	vq_bus_msg m = {.kind = VQ_BUS_MESSAGE,
	                .topic = topic,
	                .suffix = topic + strlen("vq/v1/" SYNTH_SITE "/"),
	                .payload = json,
	                .len = strlen(json),
	                .qos = 1,
	                .retain = strncmp(suffix, "events/", 7) != 0};
	int r1 = ss ? vq_sitestate_feed(ss, &m, now_ms) : 0;
	int r2 = b ? vq_board_feed(b, &m, now_ms) : 0;
	if (r1 < 0 || r2 < 0) {
		fprintf(stderr, "synth: %s refused: %s\n", suffix, json);
		return -VQ_EBADREQ;
	}
	return r1 > 0 || r2 > 0;
}

static void attr_id(int i, char *out, size_t n)
{
	snprintf(out, n, "a%02d", i);
}

/* Appends to a buffer, keeping count; the caller checks *len < size at the end. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t size, size_t *len,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = *len < size ? vsnprintf(buf + *len, size - *len, fmt, ap) : 0;
	va_end(ap);
	*len += n > 0 ? (size_t)n : 0;
}

static int site_msg(vq_sitestate *ss, const vq_board_synth_opts *o)
{
	char buf[16384];
	size_t len = 0;
	put(buf, sizeof buf, &len,
	    "{\"v\":1,\"site\":\"" SYNTH_SITE "\",\"name\":\"Bench Park\",\"timezone\":\"UTC\","
	    "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":[");
	for (int t = 0; t < o->ntiers; t++)
		put(buf, sizeof buf, &len,
		    "%s{\"id\":\"%s\",\"names\":{\"en\":\"%s\",\"ru\":\"%s\",\"ro\":\"%s\"}}",
		    t ? "," : "", TIERS[t][0], TIERS[t][1], TIERS[t][2], TIERS[t][3]);
	put(buf, sizeof buf, &len, "],\"attractions\":[");
	for (int i = 0; i < o->nattrs; i++) {
		char id[VQ_ID_MAX];
		attr_id(i, id, sizeof id);
		put(buf, sizeof buf, &len, "%s\"%s\"", i ? "," : "", id);
	}
	put(buf, sizeof buf, &len,
	    "],\"keys\":[{\"kid\":1,\"public_key\":"
	    "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\"}],"
	    "\"updated\":%lld}",
	    (long long)o->park_s);
	if (len >= sizeof buf)
		return VQ_ETOOBIG;
	return vq_board_synth_msg(ss, NULL, "state/_site", buf, o->now_ms) < 0 ? VQ_EBADREQ : VQ_OK;
}

/* Attraction i's state; version k > 0 moves its times on by k minutes and its standby
 * wait by k, as a live park's state changes. */
static int attr_msg(vq_sitestate *ss, const vq_board_synth_opts *o, int i, int k)
{
	char id[VQ_ID_MAX], buf[4096], suffix[64];
	attr_id(i, id, sizeof id);
	const char *const *nm = NAMES[i % NNAMES];
	int round = i / NNAMES;
	char num[16] = "";
	if (round)
		snprintf(num, sizeof num, " %d", round + 1);
	int service = i % NNAMES == 6 || i % 11 == 10;
	int closed = i % 7 == 3;
	int reopened = !closed && i % 9 == 5;
	int64_t now = o->park_s, slot = now - now % 900;
	size_t len = 0;
	put(buf, sizeof buf, &len,
	    "{\"v\":1,\"attraction\":\"%s\",\"kind\":\"%s\",\"names\":{\"en\":\"%s%s\","
	    "\"ru\":\"%s%s\",\"ro\":\"%s%s\"},\"status\":\"%s\",\"closed_at\":%lld,"
	    "\"reopened_at\":%lld,",
	    id, service ? "service" : "ride", nm[0], num, nm[1], num, nm[2], num,
	    closed ? "closed" : "open", closed ? (long long)(now - 600) : 0LL,
	    reopened ? (long long)(now - 900) : 0LL);
	if (closed)
		put(buf, sizeof buf, &len, "\"admitting\":null,");
	else
		put(buf, sizeof buf, &len, "\"admitting\":{\"from\":%lld,\"until\":%lld},",
		    (long long)(slot - 900), (long long)(slot + 3600));
	put(buf, sizeof buf, &len, "\"next\":{");
	for (int t = 0; t < o->ntiers; t++) {
		int64_t start = slot + 900 * (1 + (i % 5)) - 900 * t + 60 * (k % 60);
		if (start <= now)
			start = slot + 900;
		if (t == 0 && i % 4 == 1)
			put(buf, sizeof buf, &len, "%s\"%s\":null", t ? "," : "", TIERS[t][0]);
		else
			put(buf, sizeof buf, &len, "%s\"%s\":{\"start\":%lld,\"end\":%lld}",
			    t ? "," : "", TIERS[t][0], (long long)start, (long long)(start + 3600));
	}
	/* opening hours: one in a while opens later, or is done for the day */
	int64_t opens = now - 3 * 3600, closes = now + 8 * 3600;
	if (i % 13 == 4)
		opens = slot + 3600;
	else if (i % 13 == 8)
		closes = now - 600;
	put(buf, sizeof buf, &len,
	    "},\"prefix\":\"%c\",\"early_grace_min\":5,\"late_grace_min\":10,\"opens\":%lld,"
	    "\"closes\":%lld",
	    'A' + i % 26, (long long)opens, (long long)closes);
	put(buf, sizeof buf, &len,
	    ",\"capacity\":{\"today\":1920,\"taken\":%d},\"throughput_per_hour\":1200,"
	    "\"fast_share_pct\":40,\"overbook_pct\":0,\"standby_min\":%d,"
	    "\"merge\":{\"fast\":4,\"standby\":1,\"phase\":0,\"backlog\":12,\"backlog_min\":2},"
	    "\"updated\":%lld}",
	    100 + 37 * i, service ? 0 : 5 + (i * 17 + k) % 90, (long long)now);
	if (len >= sizeof buf)
		return VQ_ETOOBIG;
	snprintf(suffix, sizeof suffix, "state/%s", id);
	return vq_board_synth_msg(ss, NULL, suffix, buf, o->now_ms) < 0 ? VQ_EBADREQ : VQ_OK;
}

static int admissions(vq_sitestate *ss, vq_board *b, const vq_board_synth_opts *o, int i)
{
	char id[VQ_ID_MAX], buf[512];
	attr_id(i, id, sizeof id);
	char prefix = (char)('A' + i % 26);
	for (int k = 0; k < VQ_BOARD_CALLED_MAX; k++) {
		snprintf(buf, sizeof buf,
		         "{\"v\":1,\"attraction\":\"%s\",\"number\":\"%c-%03d\",\"ticket\":%d,"
		         "\"party\":2,\"tier\":\"standard\",\"gate\":\"gate-%d\",\"at\":%lld,"
		         "\"offline\":false}",
		         id, prefix, 40 + k, 1000 * i + k, 1 + k % 3,
		         (long long)(o->park_s - 60 * (VQ_BOARD_CALLED_MAX - k)));
		if (vq_board_synth_msg(ss, b, "events/admission", buf, o->now_ms) < 0)
			return VQ_EBADREQ;
	}
	return VQ_OK;
}

int vq_board_synth(vq_sitestate *ss, vq_board *b, const vq_board_synth_opts *o)
{
	if (!ss || !o || o->nattrs < 1 || o->nattrs > VQ_BOARD_MAX_ATTRS || o->ntiers < 1 ||
	    o->ntiers > 4 || o->park_s <= 0)
		return VQ_EINVAL;
	char buf[256];
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"id\":\"vqd\",\"role\":\"coordinator\",\"online\":%s,\"since\":%lld}",
	         o->online ? "true" : "false", (long long)o->park_s);
	if (vq_board_synth_msg(ss, NULL, "presence/vqd", buf, o->now_ms) < 0)
		return VQ_EBADREQ;
	int rc = site_msg(ss, o);
	/* every seventeenth has not published its state yet: the board waits for it */
	for (int i = 0; rc == VQ_OK && i < o->nattrs; i++)
		if (i % 17 != 16)
			rc = attr_msg(ss, o, i, 0);
	for (int i = 0; rc == VQ_OK && b && i < o->nattrs; i++)
		rc = admissions(ss, b, o, i);
	return rc;
}

int vq_board_synth_change(vq_sitestate *ss, const vq_board_synth_opts *o, int i, int k)
{
	if (!ss || !o || i < 0 || i >= o->nattrs || o->ntiers < 1 || o->ntiers > 4 || k < 0)
		return VQ_EINVAL;
	return attr_msg(ss, o, i, k);
}
