/* tools/vqctl/main.c — vqctl, the operator's command line: one command, one connection.
 *
 * Owns the conversation with vqd: connecting through the bus, request ids, the one
 * retry after a timeout, telling apart "refused" (exit 1) from "could not reach"
 * (exit 3), the members import's batches and progress, and the site's timezone; and the
 * day report, which reads vqd's database instead (report.c, report_out.c).
 * Parsing, checking and printing live in cli.c, csv.c and table.c (unit-tested).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "clock/zone.h"
#include "coordinator/config.h"
#include "core/json.h"
#include "tools/vqctl/cli.h"
#include "tools/vqctl/csv.h"
#include "tools/vqctl/report.h"
#include "tools/vqctl/table.h"

#define SITE_WAIT_MS  1000 /* the retained state/_site comes right after subscribing */
#define BAD_SHOWN     100  /* bad CSV lines printed before "... and N more" */
#define PROGRESS_BAR  30
#define RATE_RETRIES  600   /* rate_limited: sends of one request before giving up */
#define RATE_WAIT_MAX 10000 /* ms: the longest wait vqd's retry_after_ms buys */

typedef struct ctl {
	const vqctl_args *a;
	vq_bus *bus;
	cJSON *site; /* the latest state/_site seen, or NULL */
	unsigned seq;
} ctl;

static int broker_port(const vqctl_args *a)
{
	return a->bo.port ? a->bo.port : a->bo.tls_ca[0] ? 8883 : 1883;
}

/* Takes what is queued (waiting up to wait_ms for the first message), keeping the
 * site's state, and returns the reply carrying rid if one came late, else NULL. Late
 * replies are how a retried request may still be answered by its first attempt. */
static vq_bus_msg *drain(ctl *c, const char *rid, int wait_ms)
{
	vq_bus_msg *found = NULL;
	for (;;) {
		vq_bus_msg *msgs[32];
		size_t n = 0;
		if (vq_bus_poll(c->bus, msgs, 32, &n, wait_ms) != VQ_OK || n == 0)
			break;
		wait_ms = 0;
		for (size_t i = 0; i < n; i++) {
			vq_bus_msg *m = msgs[i];
			if (m->kind == VQ_BUS_MESSAGE && !strcmp(m->suffix, "state/_site")) {
				cJSON *s = cJSON_ParseWithLength(m->payload, m->len);
				if (cJSON_IsObject(s)) {
					cJSON_Delete(c->site);
					c->site = s;
				} else {
					cJSON_Delete(s);
				}
			} else if (rid && !found && m->kind == VQ_BUS_MESSAGE &&
			           !strcmp(m->topic, vq_bus_reply_topic(c->bus))) {
				cJSON *r = cJSON_ParseWithLength(m->payload, m->len);
				const cJSON *rr = cJSON_GetObjectItemCaseSensitive(r, "rid");
				bool ours = cJSON_IsString(rr) && !strcmp(rr->valuestring, rid);
				cJSON_Delete(r);
				if (ours) {
					found = m;
					continue;
				}
			}
			vq_bus_msg_free(m);
		}
	}
	return found;
}

/* Waits (bounded) for state/_site if it has not come yet. */
static const cJSON *site_state(ctl *c)
{
	if (!c->site)
		drain(c, NULL, c->a->timeout_ms < SITE_WAIT_MS ? c->a->timeout_ms : SITE_WAIT_MS);
	return c->site;
}

/* The site's zone, for printing times; NULL (UTC, marked so) when the site does not say
 * or this machine does not have it. */
static const char *site_zone(ctl *c)
{
	const cJSON *tz = cJSON_GetObjectItemCaseSensitive(site_state(c), "timezone");
	if (!cJSON_IsString(tz) || !tz->valuestring[0])
		return NULL;
	char err[256];
	if (vq_zone_check(tz->valuestring, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: %s; times are in UTC\n", err);
		return NULL;
	}
	return tz->valuestring;
}

static int connect_bus(ctl *c)
{
	const vqctl_args *a = c->a;
	vq_bus_opts o = a->bo.opts;
	/* a command line waits seconds, not minutes: retry the broker often within it */
	o.reconnect_min_ms = 250;
	o.reconnect_max_ms = 1000;
	int rc = vq_bus_new(&o, &c->bus);
	if (rc != VQ_OK) {
		fprintf(stderr, "vqctl: bad connection options (site '%s', account '%s'): %s\n",
		        a->bo.site, a->bo.user, vq_strerror(rc));
		return VQCTL_EXIT_USAGE;
	}
	if ((rc = vq_bus_subscribe(c->bus, "state/_site", 1)) != VQ_OK ||
	    (rc = vq_bus_start(c->bus)) != VQ_OK) {
		fprintf(stderr, "vqctl: cannot start the connection: %s\n", vq_strerror(rc));
		return VQCTL_EXIT_UNREACHABLE;
	}
	rc = vq_bus_wait_connected(c->bus, a->timeout_ms);
	if (rc == VQ_OK)
		return VQCTL_EXIT_OK;
	if (rc == VQ_EBUS) {
		vq_bus_stats st;
		vq_bus_get_stats(c->bus, &st);
		fprintf(stderr,
		        "vqctl: the broker at %s:%d refused account '%s': %s (reason %d); check "
		        "--user and --credentials or --password\n",
		        a->bo.host, broker_port(a), a->bo.user,
		        vq_bus_reason_string(st.last_refusal), st.last_refusal);
	} else {
		fprintf(stderr,
		        "vqctl: cannot reach the broker at %s:%d within %d ms (is it running? "
		        "--broker, --timeout)\n",
		        a->bo.host, broker_port(a), a->timeout_ms);
	}
	return VQCTL_EXIT_UNREACHABLE;
}

/* Why a call got no reply, as an exit code with a message. */
static int call_failed(ctl *c, const char *suffix, int rc)
{
	const vqctl_args *a = c->a;
	switch (rc) {
	case VQ_ETIMEOUT:
		fprintf(
		    stderr,
		    "vqctl: vqd did not answer %s within %d ms, asked twice (same request id, so "
		    "it was applied at most once)\n",
		    suffix, a->timeout_ms);
		return VQCTL_EXIT_UNREACHABLE;
	case VQ_EDENIED:
		fprintf(stderr,
		        "vqctl: the broker does not let account '%s' publish %s on site '%s' (it "
		        "needs an operator account of that site)\n",
		        a->bo.user, suffix, a->bo.site);
		return VQCTL_EXIT_UNREACHABLE;
	case VQ_EBUS:
		if (!vq_bus_connected(c->bus))
			fprintf(stderr, "vqctl: lost the connection to the broker at %s:%d\n",
			        a->bo.host, broker_port(a));
		else
			fprintf(stderr,
			        "vqctl: vqd is not running: nobody serves %s on site '%s'\n",
			        suffix, a->bo.site);
		return VQCTL_EXIT_UNREACHABLE;
	case VQ_ETOOBIG:
		fprintf(stderr, "vqctl: the request is too large for the broker%s\n",
		        a->cmd == VQCTL_IMPORT ? "; use a smaller --batch" : "");
		return VQCTL_EXIT_REFUSED;
	default:
		fprintf(stderr, "vqctl: %s: %s\n", suffix, vq_strerror(rc));
		return VQCTL_EXIT_UNREACHABLE;
	}
}

/* How long vqd asks us to wait when it refused a request over the operator's rate limit
 * (it did not read it, so the same request goes again), or -1 for any other reply. */
static long rate_limited_wait(const vq_bus_msg *m)
{
	cJSON *r = cJSON_ParseWithLength(m->payload, m->len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	int64_t after = 1000;
	long wait = -1;
	if (cJSON_IsString(code) && !strcmp(code->valuestring, "rate_limited")) {
		if (vq_json_int(cJSON_GetObjectItemCaseSensitive(e, "retry_after_ms"), INT64_MIN,
		                INT64_MAX, &after) != VQ_OK)
			after = 1000;
		wait = after < 1 ? 1 : after > RATE_WAIT_MAX ? RATE_WAIT_MAX : (long)after;
	}
	cJSON_Delete(r);
	return wait;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Sends req and returns vqd's parsed reply in *reply. After a timeout it asks once more
 * with the same body, hence the same rid: vqd answers a repeated rid with its first
 * answer, so the command is applied once whichever attempt got through. Over the rate
 * limit it waits as vqd asks and sends the same body again. */
static int call(ctl *c, const char *suffix, const cJSON *req, cJSON **reply)
{
	*reply = NULL;
	char *body = cJSON_PrintUnformatted(req);
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(req, "rid");
	vq_bus_msg *m = NULL;
	int rc = VQ_ENOMEM, ex;
	if (!body)
		goto cleanup;
	for (int limited = 0;; limited++) {
		for (int attempt = 0; attempt < 2; attempt++) {
			rc = vq_bus_call(c->bus, suffix, body, strlen(body), c->a->timeout_ms, &m);
			if (rc != VQ_ETIMEOUT)
				break;
			if ((m = drain(c, rid->valuestring, 0))) {
				rc = VQ_OK;
				break;
			}
		}
		long wait = rc == VQ_OK ? rate_limited_wait(m) : -1;
		if (wait < 0 || limited == RATE_RETRIES)
			break;
		vq_bus_msg_free(m);
		m = NULL;
		sleep_ms(wait);
	}
cleanup:
	if (rc != VQ_OK) {
		ex = call_failed(c, suffix, rc);
	} else {
		*reply = cJSON_ParseWithLength(m->payload, m->len);
		ex = VQCTL_EXIT_OK;
		if (!cJSON_IsObject(*reply) || !cJSON_IsBool(cJSON_GetObjectItem(*reply, "ok"))) {
			fprintf(stderr, "vqctl: vqd's reply is not a vq reply: %.200s\n",
			        m->payload);
			cJSON_Delete(*reply);
			*reply = NULL;
			ex = VQCTL_EXIT_REFUSED;
		}
	}
	vq_bus_msg_free(m);
	free(body);
	return ex;
}

static void print_json(const cJSON *o)
{
	char *s = cJSON_Print(o);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* Prints an error reply as "vqctl: <code>: <message>". */
static void print_refusal(const cJSON *reply)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	fprintf(stderr, "vqctl: %s: %s\n", cJSON_IsString(code) ? code->valuestring : "error",
	        cJSON_IsString(msg) ? msg->valuestring : "(no message)");
}

static void next_rid(ctl *c, char rid[VQCTL_RID_MAX])
{
	vqctl_rid(rid, c->a->bo.user, (int64_t)time(NULL), (long)getpid(), ++c->seq);
}

static int run_simple(ctl *c)
{
	const vqctl_args *a = c->a;
	char rid[VQCTL_RID_MAX];
	const char *suffix;
	cJSON *reply = NULL;
	next_rid(c, rid);
	cJSON *req = vqctl_request(a, rid, &suffix);
	if (!req) {
		fprintf(stderr, "vqctl: out of memory\n");
		return VQCTL_EXIT_REFUSED;
	}
	int ex = call(c, suffix, req, &reply);
	if (ex != VQCTL_EXIT_OK)
		goto cleanup;
	bool ok = cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok"));
	if (a->json)
		print_json(reply);
	if (!ok) {
		print_refusal(reply);
		ex = VQCTL_EXIT_REFUSED;
		goto cleanup;
	}
	if (a->json)
		goto cleanup;
	int rc = vqctl_print_reply(stdout, site_zone(c), a->cmd, reply);
	if (rc != VQ_OK) {
		fprintf(stderr, "vqctl: vqd's reply lacks what '%s' shows; here it is as JSON:\n",
		        suffix);
		print_json(reply);
	}
cleanup:
	cJSON_Delete(reply);
	cJSON_Delete(req);
	return ex;
}

/* ---- members import ---------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, cap);
			if (!nb) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*len = n;
	return buf;
fail:;
	int e = errno ? errno : EIO;
	free(buf);
	fclose(f);
	errno = e;
	return NULL;
}

/* The site's tier ids from state/_site; 0 if vqd has not published them. */
static size_t site_tiers(const cJSON *site, const char **out, size_t max)
{
	size_t n = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(site, "tiers"))
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
		if (cJSON_IsString(id) && n < max)
			out[n++] = id->valuestring;
	}
	return n;
}

static void report_bad(const char *file, const vqctl_members *m)
{
	size_t shown = m->nbad_kept < BAD_SHOWN ? m->nbad_kept : BAD_SHOWN;
	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, "vqctl: %s:%u: %s\n", file, m->bad[i].line, m->bad[i].why);
	if (m->nbad > shown)
		fprintf(stderr, "vqctl: ... and %zu more bad lines\n", m->nbad - shown);
}

static void progress(size_t done, size_t total, bool tty)
{
	if (tty) {
		char bar[200];
		vqctl_progress(bar, sizeof bar, done, total, PROGRESS_BAR);
		fprintf(stderr, "\rimporting %s", bar);
		if (done == total)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "imported %zu/%zu\n", done, total);
	}
}

/* vqd names a bad member by its index in the batch ("members[12].tier: ..."): point at
 * the file's line instead, which is what the operator can fix. */
static void refusal_line(const cJSON *reply, const char *file, const vqctl_member *batch, size_t n)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	unsigned idx;
	if (cJSON_IsString(msg) && sscanf(msg->valuestring, "members[%u]", &idx) == 1 && idx < n)
		fprintf(stderr, "vqctl: %s:%u: card '%s', tier '%s'\n", file, batch[idx].line,
		        batch[idx].card, batch[idx].tier);
}

static void json_summary(const vqctl_members *m, size_t imported, const cJSON *refusal)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", !refusal && m->nbad == 0);
	cJSON_AddNumberToObject(o, "imported", (double)imported);
	cJSON_AddNumberToObject(o, "members", (double)m->n);
	cJSON_AddNumberToObject(o, "duplicates", (double)m->duplicates);
	cJSON_AddNumberToObject(o, "bad", (double)m->nbad);
	cJSON *bad = cJSON_AddArrayToObject(o, "bad_lines");
	for (size_t i = 0; bad && i < m->nbad_kept; i++) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "line", m->bad[i].line);
		cJSON_AddStringToObject(b, "error", m->bad[i].why);
		cJSON_AddItemToArray(bad, b);
	}
	if (refusal)
		cJSON_AddItemToObject(o, "error", cJSON_Duplicate(refusal, 1));
	print_json(o);
	cJSON_Delete(o);
}

static int run_import(ctl *c, vqctl_members *m)
{
	const vqctl_args *a = c->a;
	const char *tiers[VQ_MAX_TIERS];
	size_t nt = site_tiers(site_state(c), tiers, VQ_MAX_TIERS);
	if (nt)
		vqctl_members_check_tiers(m, tiers, nt);
	else
		fprintf(stderr, "vqctl: no tier list from vqd (state/_site); vqd checks tiers "
		                "as the batches arrive\n");
	report_bad(a->file, m);
	if (m->nbad && !a->skip_bad) {
		fprintf(stderr,
		        "vqctl: %zu bad line%s in %s; nothing imported (fix them, or --skip-bad to "
		        "import the %zu good ones)\n",
		        m->nbad, m->nbad == 1 ? "" : "s", a->file, m->n);
		if (a->json)
			json_summary(m, 0, NULL);
		return VQCTL_EXIT_REFUSED;
	}
	if (m->n == 0) {
		fprintf(stderr, "vqctl: no members to import in %s\n", a->file);
		if (a->json)
			json_summary(m, 0, NULL);
		return VQCTL_EXIT_REFUSED;
	}

	bool tty = isatty(STDERR_FILENO);
	size_t imported = 0;
	int ex = VQCTL_EXIT_OK;
	cJSON *refusal = NULL;
	for (size_t at = 0; at < m->n && ex == VQCTL_EXIT_OK; at += (size_t)a->batch) {
		size_t n = m->n - at < (size_t)a->batch ? m->n - at : (size_t)a->batch;
		char rid[VQCTL_RID_MAX];
		cJSON *reply = NULL;
		next_rid(c, rid);
		cJSON *req = vqctl_import_request(m->v + at, n, rid);
		if (!req) {
			fprintf(stderr, "vqctl: out of memory\n");
			ex = VQCTL_EXIT_REFUSED;
			break;
		}
		ex = call(c, "svc/ops", req, &reply);
		if (ex == VQCTL_EXIT_OK && !cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok"))) {
			if (tty && at)
				fputc('\n', stderr);
			print_refusal(reply);
			refusal_line(reply, a->file, m->v + at, n);
			refusal = cJSON_DetachItemFromObject(reply, "error");
			ex = VQCTL_EXIT_REFUSED;
		} else if (ex == VQCTL_EXIT_OK) {
			int64_t got;
			imported += vq_json_int(cJSON_GetObjectItemCaseSensitive(reply, "imported"),
			                        0, (int64_t)n, &got) == VQ_OK
			                ? (size_t)got
			                : n;
			progress(at + n, m->n, tty);
		}
		cJSON_Delete(reply);
		cJSON_Delete(req);
	}
	if (ex != VQCTL_EXIT_OK)
		fprintf(stderr,
		        "vqctl: imported %zu of %zu members before that; from line %u on nothing "
		        "was imported (importing the file again is safe)\n",
		        imported, m->n, m->v[imported < m->n ? imported : m->n - 1].line);
	if (a->json) {
		json_summary(m, imported, refusal);
	} else if (ex == VQCTL_EXIT_OK) {
		printf("imported %zu members from %s", imported, a->file);
		if (m->duplicates)
			printf(" (%zu repeated lines sent once)", m->duplicates);
		if (m->nbad)
			printf("; %zu bad lines skipped", m->nbad);
		printf("\n");
	}
	cJSON_Delete(refusal);
	if (ex == VQCTL_EXIT_OK && m->nbad)
		ex = VQCTL_EXIT_REFUSED;
	return ex;
}

/* ---- the day report (no broker: it reads vqd's database) ---------------------------- */

static int run_report(const vqctl_args *a)
{
	char err[512], ov[8192] = "";
	vq_store_reader *r = NULL;
	vq_site *site = NULL;
	cJSON *model = NULL;
	char *js = NULL;
	size_t jslen = 0;
	int ex = VQCTL_EXIT_USAGE;
	/* the config first: it names the site, whose schema a PostgreSQL store holds it in */
	if (vqd_config_load(a->config, NULL, &site, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: report: %s\n", err);
		goto cleanup;
	}
	if (vq_store_reader_open(a->db, vq_site_id(site), &r, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: report: %s\n", err);
		goto cleanup;
	}
	/* the tier rules operators changed are part of the config vqd ran */
	if (vq_store_reader_setting(r, "tier_overrides", ov, sizeof ov) == VQ_OK) {
		vq_site_free(site);
		site = NULL;
		if (vqd_config_load(a->config, ov, &site, err, sizeof err) != VQ_OK) {
			fprintf(stderr, "vqctl: report: %s\n", err);
			goto cleanup;
		}
	}
	const char *chart = a->chart_js ? a->chart_js : getenv("VQ_CHARTJS");
	if (!chart || !*chart)
		chart = VQ_CHARTJS_DEFAULT;
	if (a->out && !(js = read_file(chart, &jslen))) {
		fprintf(
		    stderr,
		    "vqctl: report: cannot read the chart library %s: %s (run tools/setup-deps, "
		    "or give --chart-js FILE: Chart.js's dist/chart.umd.js)\n",
		    chart, strerror(errno));
		goto cleanup;
	}
	if (vq_zone_check(vq_site_timezone(site), err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: report: %s: timezone: %s\n", a->config, err);
		goto cleanup;
	}
	vqctl_report_day day;
	if (vqctl_report_day_of(vq_site_timezone(site), a->date, a->at, (int64_t)time(NULL),
	                        &day) != VQ_OK) {
		fprintf(stderr, "vqctl: report: --date: no such day: %s\n", a->date);
		goto cleanup;
	}
	ex = VQCTL_EXIT_REFUSED;
	if (a->out) {
		if (vqctl_report_model(r, site, &day, &model, err, sizeof err) != VQ_OK) {
			fprintf(stderr, "vqctl: report: %s\n", err);
			goto cleanup;
		}
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", a->out);
		FILE *f = fopen(tmp, "wb");
		int rc = f ? vqctl_report_html(f, model, js, jslen) : VQ_ESTORE;
		if (f && fclose(f) != 0 && rc == VQ_OK)
			rc = VQ_ESTORE;
		if (rc == VQ_OK && rename(tmp, a->out) != 0)
			rc = VQ_ESTORE;
		if (rc != VQ_OK) {
			fprintf(stderr, "vqctl: report: %s: %s\n", a->out,
			        rc == VQ_EINVAL ? "the chart library cannot be inlined (it holds "
			                          "\"</script\")"
			                        : strerror(errno ? errno : EIO));
			remove(tmp);
			goto cleanup;
		}
	}
	if (a->csv_dir && vqctl_report_csv(r, site, &day, a->csv_dir, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: report: %s\n", err);
		goto cleanup;
	}
	if (a->out)
		printf("wrote %s (%s, figures as of %s)\n", a->out, day.date,
		       cJSON_GetObjectItemCaseSensitive(model, "as_of_label")->valuestring);
	if (a->csv_dir)
		printf("wrote %s/tickets.csv, admissions.csv, audit.csv\n", a->csv_dir);
	ex = VQCTL_EXIT_OK;
cleanup:
	cJSON_Delete(model);
	free(js);
	vq_site_free(site);
	vq_store_reader_close(r);
	return ex;
}

int main(int argc, char **argv)
{
	vqctl_args a;
	char err[512];
	ctl c = {.a = &a};
	vqctl_members members = {0};
	char *csv = NULL;
	int ex;

	vqctl_args_init(&a);
	if (vqctl_args_parse(&a, argc, argv, err, sizeof err) != VQCTL_EXIT_OK) {
		fprintf(stderr, "vqctl: %s\nRun 'vqctl --help' for usage.\n", err);
		return VQCTL_EXIT_USAGE;
	}
	if (a.cmd == VQCTL_HELP) {
		vqctl_usage(stdout);
		return VQCTL_EXIT_OK;
	}
	if (a.cmd == VQCTL_REPORT)
		return run_report(&a);
	if (vq_busopt_finish(&a.bo, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vqctl: %s\nRun 'vqctl --help' for usage.\n", err);
		return VQCTL_EXIT_USAGE;
	}
	if (a.cmd == VQCTL_IMPORT) {
		/* the file first: a typo in its name should not wait for a broker */
		size_t len = 0;
		if (!(csv = read_file(a.file, &len))) {
			fprintf(stderr, "vqctl: cannot read %s: %s\n", a.file, strerror(errno));
			ex = VQCTL_EXIT_USAGE;
			goto cleanup;
		}
		if (vqctl_csv_parse(csv, len, &members) != VQ_OK) {
			fprintf(stderr, "vqctl: out of memory reading %s\n", a.file);
			ex = VQCTL_EXIT_REFUSED;
			goto cleanup;
		}
	}
	if ((ex = connect_bus(&c)) != VQCTL_EXIT_OK) {
		if (members.nbad)
			report_bad(a.file, &members);
		goto cleanup;
	}
	ex = a.cmd == VQCTL_IMPORT ? run_import(&c, &members) : run_simple(&c);
cleanup:
	vq_bus_free(c.bus);
	cJSON_Delete(c.site);
	vqctl_members_free(&members);
	free(csv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vqctl: writing the output: %s\n", strerror(errno));
		if (ex == VQCTL_EXIT_OK)
			ex = VQCTL_EXIT_REFUSED;
	}
	return ex;
}
