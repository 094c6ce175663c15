/* tools/vqctl/cli.c — vqctl's command line: words to a checked vqctl_args, and
 * vqctl_args to the request's JSON. See cli.h.
 *
 * Everything an operator can get wrong is caught here, before connecting, with a
 * message that names the argument: a typo should cost a second, not a broker round
 * trip and a vqd error code.
 */
#include "tools/vqctl/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 8

void vqctl_args_init(vqctl_args *a)
{
	memset(a, 0, sizeof *a);
	vq_busopt_init(&a->bo, "operator");
	a->timeout_ms = VQCTL_DEFAULT_TIMEOUT;
	a->throughput = a->share = a->overbook = -1;
	for (int k = 0; k < 5; k++)
		a->tier_rule[k] = -1;
	a->batch = VQCTL_DEFAULT_BATCH;
	a->at = -1;
}

int vqctl_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char *p = s;
	if (!s || !*s)
		return -1;
	if (*p == '-')
		p++;
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

bool vqctl_valid_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		const char c = s[n];
		if (n >= VQ_ID_MAX - 1 ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

bool vqctl_valid_card(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= VQCTL_CARD_MAX - 1 || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	/* a card that starts or ends in a space is a copy-and-paste slip, never a card */
	return n > 0 && s[0] != ' ' && s[n - 1] != ' ';
}

size_t vqctl_rid(char out[VQCTL_RID_MAX], const char *user, int64_t unix_s, long pid, unsigned seq)
{
	char tail[64];
	int tn = snprintf(tail, sizeof tail, "-%lld-%ld-%u", (long long)unix_s, pid, seq);
	size_t room = VQCTL_RID_MAX - 1 - (size_t)tn;
	size_t un = strlen(user);
	if (un > room)
		un = room;
	for (size_t i = 0; i < un; i++) {
		const char c = user[i];
		out[i] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '_';
	}
	memcpy(out + un, tail, (size_t)tn + 1);
	return un + (size_t)tn;
}

/* The command-specific options, kept raw until the command is known so that the
 * message can say which command they belong to. */
typedef struct raw_opts {
	const char *throughput, *share, *overbook, *batch, *code, *timeout;
	const char *db, *config, *date, *out, *csv, *at, *chart_js; /* report */
	const char *rule[5]; /* tier: in the order of vqctl_tier_rules */
	bool skip_bad, force;
} raw_opts;

const char *const vqctl_tier_rules[5][2] = {
    {"--protect", "protect_pct"},       {"--release", "release_min"},
    {"--max-passes", "max_passes"},     {"--horizon", "horizon_min"},
    {"--late-grace", "late_grace_min"},
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return VQCTL_EXIT_USAGE;
}

/* Takes the value of an option that needs one; the caller's index moves past it. */
static int take_value(int argc, char **argv, int *i, const char **dst, char *err, size_t errlen)
{
	if (*i + 1 >= argc)
		return fail(err, errlen, "%s needs a value", argv[*i]);
	*dst = argv[*i + 1];
	*i += 2;
	return VQCTL_EXIT_OK;
}

static int number(const char *opt, const char *v, long long min, long long max, int *out, char *err,
                  size_t errlen)
{
	long long n;
	if (vqctl_parse_int(v, min, max, &n) != 0) {
		snprintf(err, errlen, "%s: expected a whole number %lld..%lld, got '%s'", opt, min,
		         max, v);
		return VQCTL_EXIT_USAGE;
	}
	*out = (int)n;
	return VQCTL_EXIT_OK;
}

static int attraction(vqctl_args *a, const char *cmd, const char *v, char *err, size_t errlen)
{
	if (!vqctl_valid_id(v))
		return fail(
		    err, errlen,
		    "%s: '%s' is not an attraction id (lowercase letters, digits, '_', '-'; "
		    "at most 31)",
		    cmd, v);
	snprintf(a->attraction, sizeof a->attraction, "%s", v);
	return VQCTL_EXIT_OK;
}

/* Options that only make sense with one command: refuse them elsewhere rather than
 * silently ignore a --batch the operator thinks is in effect. */
static int misplaced(const raw_opts *r, int cmd, char *err, size_t errlen)
{
	static const struct {
		size_t off;
		int cmd;
		const char *name, *owner;
	} owned[] = {
	    {offsetof(raw_opts, throughput), VQCTL_CAPACITY, "--throughput", "capacity"},
	    {offsetof(raw_opts, share), VQCTL_CAPACITY, "--share", "capacity"},
	    {offsetof(raw_opts, overbook), VQCTL_CAPACITY, "--overbook", "capacity"},
	    {offsetof(raw_opts, batch), VQCTL_IMPORT, "--batch", "members import"},
	    {offsetof(raw_opts, code), VQCTL_TICKET, "--code", "ticket"},
	    {offsetof(raw_opts, db), VQCTL_REPORT, "--db", "report"},
	    {offsetof(raw_opts, config), VQCTL_REPORT, "--config", "report"},
	    {offsetof(raw_opts, date), VQCTL_REPORT, "--date", "report"},
	    {offsetof(raw_opts, out), VQCTL_REPORT, "--out", "report"},
	    {offsetof(raw_opts, csv), VQCTL_REPORT, "--csv", "report"},
	    {offsetof(raw_opts, at), VQCTL_REPORT, "--at", "report"},
	    {offsetof(raw_opts, chart_js), VQCTL_REPORT, "--chart-js", "report"},
	};
	for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++) {
		const char *v = *(const char *const *)((const char *)r + owned[k].off);
		if (v && cmd != owned[k].cmd)
			return fail(err, errlen, "%s belongs to '%s' only", owned[k].name,
			            owned[k].owner);
	}
	for (int k = 0; k < 5; k++)
		if (r->rule[k] && cmd != VQCTL_TIER)
			return fail(err, errlen, "%s belongs to '%s' only", vqctl_tier_rules[k][0],
			            "tier");
	if (r->skip_bad && cmd != VQCTL_IMPORT)
		return fail(err, errlen, "%s belongs to '%s' only", "--skip-bad", "members import");
	if (r->force && cmd != VQCTL_KEYS_RETIRE)
		return fail(err, errlen, "%s belongs to '%s' only", "--force", "keys retire");
	return VQCTL_EXIT_OK;
}

/* words[0] is the command; checks the count of the rest. */
static int arity(const char *const *words, int n, int want, const char *what, char *err,
                 size_t errlen)
{
	if (n - 1 < want)
		return fail(err, errlen, "%s: missing %s", words[0], what);
	if (n - 1 > want)
		return fail(err, errlen, "%s: unexpected argument '%s'", words[0], words[want + 1]);
	return VQCTL_EXIT_OK;
}

static int command(vqctl_args *a, const char *const *w, int n, const raw_opts *r, char *err,
                   size_t errlen)
{
	const char *c = w[0];
	int rc;
	if (!strcmp(c, "help")) {
		a->cmd = VQCTL_HELP;
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "status") || !strcmp(c, "stats")) {
		a->cmd = !strcmp(c, "status") ? VQCTL_STATUS : VQCTL_STATS;
		return arity(w, n, 0, "", err, errlen);
	}
	if (!strcmp(c, "close") || !strcmp(c, "reopen") || !strcmp(c, "capacity")) {
		a->cmd = !strcmp(c, "close")    ? VQCTL_CLOSE
		         : !strcmp(c, "reopen") ? VQCTL_REOPEN
		                                : VQCTL_CAPACITY;
		if ((rc = arity(w, n, 1, "ATTRACTION", err, errlen)) ||
		    (rc = attraction(a, c, w[1], err, errlen)))
			return rc;
		if (a->cmd != VQCTL_CAPACITY)
			return VQCTL_EXIT_OK;
		if (!r->throughput && !r->share && !r->overbook)
			return fail(err, errlen,
			            "capacity: give at least one of --throughput N, --share PCT, "
			            "--overbook PCT");
		if ((r->throughput &&
		     (rc = number("--throughput", r->throughput, 1, VQCTL_MAX_THROUGHPUT,
		                  &a->throughput, err, errlen))) ||
		    (r->share &&
		     (rc = number("--share", r->share, 0, 100, &a->share, err, errlen))) ||
		    (r->overbook &&
		     (rc = number("--overbook", r->overbook, 0, 100, &a->overbook, err, errlen))))
			return rc;
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "passes")) {
		a->cmd = VQCTL_PASSES;
		if (n > 2)
			return fail(err, errlen, "passes: unexpected argument '%s'", w[2]);
		return n == 2 ? attraction(a, c, w[1], err, errlen) : VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "standby")) {
		a->cmd = VQCTL_STANDBY;
		if ((rc = arity(w, n, 2, n < 2 ? "ATTRACTION and MINUTES" : "MINUTES", err,
		                errlen)) ||
		    (rc = attraction(a, c, w[1], err, errlen)))
			return rc;
		return number("standby: MINUTES", w[2], 0, VQCTL_MAX_STANDBY, &a->minutes, err,
		              errlen);
	}
	if (!strcmp(c, "members")) {
		a->cmd = VQCTL_IMPORT;
		if (n < 2 || strcmp(w[1], "import") != 0)
			return fail(err, errlen, "members: expected 'members import FILE.csv'%s%s",
			            n >= 2 ? ", got 'members " : "", n >= 2 ? "...'" : "");
		if (n < 3)
			return fail(err, errlen, "members import: missing FILE.csv");
		if (n > 3)
			return fail(err, errlen, "members import: unexpected argument '%s'", w[3]);
		a->file = w[2];
		a->skip_bad = r->skip_bad;
		if (r->batch)
			return number("--batch", r->batch, 1, VQCTL_MAX_BATCH, &a->batch, err,
			              errlen);
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "member")) {
		a->cmd = VQCTL_MEMBER;
		if ((rc = arity(w, n, 1, "CARD", err, errlen)))
			return rc;
		if (!vqctl_valid_card(w[1]))
			return fail(err, errlen,
			            "member: '%s' is not a card number (1..32 printable ASCII "
			            "characters)",
			            w[1]);
		snprintf(a->card, sizeof a->card, "%s", w[1]);
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "ticket")) {
		a->cmd = VQCTL_TICKET;
		if (r->code) {
			if (n > 1)
				return fail(err, errlen,
				            "ticket: give either an ID or --code CODE, not both");
			if (!*r->code || strlen(r->code) >= sizeof a->code)
				return fail(err, errlen, "ticket --code: the code is %s",
				            *r->code ? "too long" : "empty");
			snprintf(a->code, sizeof a->code, "%s", r->code);
			return VQCTL_EXIT_OK;
		}
		if ((rc = arity(w, n, 1, "ID (or --code CODE)", err, errlen)))
			return rc;
		long long id;
		if (vqctl_parse_int(w[1], 1, VQCTL_JSON_SAFE_ID_MAX, &id) != 0)
			return fail(
			    err, errlen,
			    "ticket: ID must be a ticket number (a whole number from 1), got "
			    "'%s'",
			    w[1]);
		a->ticket_id = id;
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "tiers")) {
		a->cmd = VQCTL_TIERS;
		return arity(w, n, 0, "", err, errlen);
	}
	if (!strcmp(c, "tier")) {
		a->cmd = VQCTL_TIER;
		if ((rc = arity(w, n, 1, "TIER", err, errlen)))
			return rc;
		if (!vqctl_valid_id(w[1]))
			return fail(err, errlen, "tier: '%s' is not a tier id", w[1]);
		snprintf(a->tier, sizeof a->tier, "%s", w[1]);
		int given = 0;
		for (int k = 0; k < 5; k++) {
			if (!r->rule[k])
				continue;
			given++;
			if ((rc = number(vqctl_tier_rules[k][0], r->rule[k], 0, 1440,
			                 &a->tier_rule[k], err, errlen)))
				return rc;
		}
		if (!given)
			return fail(err, errlen,
			            "tier: give at least one of --protect PCT, --release MIN, "
			            "--max-passes N, --horizon MIN, --late-grace MIN");
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "report")) {
		a->cmd = VQCTL_REPORT;
		if ((rc = arity(w, n, 0, "", err, errlen)))
			return rc;
		if (!r->db || !r->config)
			return fail(
			    err, errlen,
			    "report: needs --db FILE (or a PostgreSQL URI) and --config SITE.json");
		if (!r->out && !r->csv)
			return fail(err, errlen, "report: give --out FILE.html, --csv DIR or both");
		if (r->date) {
			int y, m, d;
			char tail;
			if (strlen(r->date) != 10 ||
			    sscanf(r->date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 ||
			    m < 1 || m > 12 || d < 1 || d > 31)
				return fail(
				    err, errlen,
				    "--date: expected YYYY-MM-DD (the site's local date), got "
				    "'%s'",
				    r->date);
			snprintf(a->date, sizeof a->date, "%s", r->date);
		}
		long long at;
		if (r->at && vqctl_parse_int(r->at, 1, VQCTL_JSON_SAFE_ID_MAX, &at) != 0)
			return fail(err, errlen, "--at: expected Unix seconds, got '%s'", r->at);
		if (r->at)
			a->at = at;
		a->db = r->db;
		a->config = r->config;
		a->out = r->out;
		a->csv_dir = r->csv;
		a->chart_js = r->chart_js;
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(c, "keys")) {
		a->cmd = VQCTL_KEYS;
		if (n == 1)
			return VQCTL_EXIT_OK;
		if (!strcmp(w[1], "retire")) {
			a->cmd = VQCTL_KEYS_RETIRE;
			a->force = r->force;
			if (n < 3)
				return fail(err, errlen, "keys retire: missing KID");
			if (n > 3)
				return fail(err, errlen, "keys retire: unexpected argument '%s'",
				            w[3]);
			return number("keys retire: KID", w[2], 0, 255, &a->kid, err, errlen);
		}
		if (strcmp(w[1], "rotate") != 0)
			return fail(
			    err, errlen,
			    "keys: expected 'keys', 'keys rotate' or 'keys retire KID', got "
			    "'keys %s'",
			    w[1]);
		a->cmd = VQCTL_KEYS_ROTATE;
		if (n > 2)
			return fail(err, errlen, "keys rotate: unexpected argument '%s'", w[2]);
		return VQCTL_EXIT_OK;
	}
	return fail(err, errlen, "unknown command '%s'", c);
}

int vqctl_args_parse(vqctl_args *a, int argc, char **argv, char *err, size_t errlen)
{
	const char *words[MAX_WORDS];
	int nwords = 0;
	raw_opts r = {0};
	bool help = false, opts_done = false;
	int i = 1, rc;

	while (i < argc) {
		const char *arg = argv[i];
		/* "-5" is a (bad) number for an argument, not an option */
		bool is_opt =
		    !opts_done && arg[0] == '-' && arg[1] && !isdigit((unsigned char)arg[1]);
		if (!is_opt) {
			if (nwords == MAX_WORDS)
				return fail(err, errlen, "too many arguments (from '%s' on)", arg);
			words[nwords++] = arg;
			i++;
			continue;
		}
		if (!strcmp(arg, "--")) {
			opts_done = true;
			i++;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			help = true;
			i++;
			continue;
		}
		if (!strcmp(arg, "--json") || !strcmp(arg, "--skip-bad") ||
		    !strcmp(arg, "--force")) {
			*(arg[2] == 'j' ? &a->json : arg[2] == 's' ? &r.skip_bad : &r.force) = true;
			i++;
			continue;
		}
		static const struct {
			const char *name;
			size_t off;
		} valued[] = {
		    {"--timeout", offsetof(raw_opts, timeout)},
		    {"--throughput", offsetof(raw_opts, throughput)},
		    {"--share", offsetof(raw_opts, share)},
		    {"--overbook", offsetof(raw_opts, overbook)},
		    {"--batch", offsetof(raw_opts, batch)},
		    {"--code", offsetof(raw_opts, code)},
		    {"--db", offsetof(raw_opts, db)},
		    {"--config", offsetof(raw_opts, config)},
		    {"--date", offsetof(raw_opts, date)},
		    {"--out", offsetof(raw_opts, out)},
		    {"--csv", offsetof(raw_opts, csv)},
		    {"--at", offsetof(raw_opts, at)},
		    {"--chart-js", offsetof(raw_opts, chart_js)},
		};
		size_t k = 0;
		while (k < sizeof valued / sizeof valued[0] && strcmp(arg, valued[k].name) != 0)
			k++;
		if (k < sizeof valued / sizeof valued[0]) {
			if ((rc = take_value(argc, argv, &i,
			                     (const char **)((char *)&r + valued[k].off), err,
			                     errlen)))
				return rc;
			continue;
		}
		int rule = 0;
		while (rule < 5 && strcmp(arg, vqctl_tier_rules[rule][0]) != 0)
			rule++;
		if (rule < 5) {
			if ((rc = take_value(argc, argv, &i, &r.rule[rule], err, errlen)))
				return rc;
			continue;
		}
		char berr[256];
		int b = vq_busopt_parse(&a->bo, argc, argv, &i, berr, sizeof berr);
		if (b < 0)
			return fail(err, errlen, "%s", berr);
		if (b == 0)
			return fail(err, errlen, "unknown option '%s'", arg);
	}
	if (help) {
		a->cmd = VQCTL_HELP;
		return VQCTL_EXIT_OK;
	}
	if (r.timeout &&
	    (rc = number("--timeout", r.timeout, 1, 600000, &a->timeout_ms, err, errlen)))
		return rc;
	if (nwords == 0)
		return fail(err, errlen, "no command given");
	if ((rc = command(a, words, nwords, &r, err, errlen)))
		return rc;
	return misplaced(&r, a->cmd, err, errlen);
}

void vqctl_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: vqctl [options] COMMAND [ARGS]\n"
	    "\n"
	    "Commands (sent to vqd on svc/ops, 'ticket' on svc/lookup):\n"
	    "  status                        every attraction: status, next return time per\n"
	    "                                tier, fast capacity taken/today, standby wait\n"
	    "  capacity ATTR [--throughput N] [--share PCT] [--overbook PCT]\n"
	    "                                change riders per hour (1..%d), the fast-lane\n"
	    "                                share (0..100 %%) or overbooking (0..100 %%);\n"
	    "                                applies to slots that have not started\n"
	    "  close ATTR                    breakdown: stop issuing and admitting\n"
	    "  reopen ATTR                   reopen; tickets caught by the closure become\n"
	    "                                'any time today' passes\n"
	    "  standby ATTR MINUTES          post the standby wait (0..%d)\n"
	    "  passes [ATTR]                 the day's accessibility return passes: number,\n"
	    "                                party, return time, state, the staff account\n"
	    "  members import FILE.csv [--batch N] [--skip-bad]\n"
	    "                                load loyalty members, 'card,tier' a line\n"
	    "  member CARD                   a member's tier\n"
	    "  stats                         ticket counts, members, requests, uptime\n"
	    "  ticket ID | ticket --code CODE   look a ticket up\n"
	    "  tiers                         every tier's rules\n"
	    "  tier TIER [--protect PCT] [--release MIN] [--max-passes N] [--horizon MIN]\n"
	    "       [--late-grace MIN]       change a tier's rules (checked by vqd as a config\n"
	    "                                is; kept across restarts)\n"
	    "  keys | keys rotate            list the ticket-signing keys; make a new one\n"
	    "  keys retire KID [--force]     take a key out of the ring (not the active one;\n"
	    "                                refused while unexpired tickets may carry it,\n"
	    "                                unless --force: gates then refuse those codes)\n"
	    "  report --db FILE|URI --config SITE.json [--date YYYY-MM-DD] [--at UNIX]\n"
	    "         [--out FILE.html] [--csv DIR] [--chart-js FILE]\n"
	    "                                the day's report, read from vqd's database\n"
	    "                                (a file, or vqd's postgresql:// URI)\n"
	    "                                (read-only; no broker): one self-contained HTML\n"
	    "                                page with charts, and/or tickets.csv,\n"
	    "                                admissions.csv and audit.csv in DIR. --date is\n"
	    "                                the site's local date (default: the day of\n"
	    "                                --at); --at the moment no-shows are judged at\n"
	    "                                (default: now, or the day's end once it is\n"
	    "                                over). --chart-js: Chart.js's chart.umd.js\n"
	    "                                (default: $VQ_CHARTJS, then web/node_modules)\n"
	    "  help                          this text\n"
	    "\n"
	    "Options:\n"
	    "  --json                        print vqd's reply as JSON instead of tables\n"
	    "  --timeout MS                  wait per request and for the broker (%d)\n"
	    "%s"
	    "\nThe account (--user) must be an operator: only operators may use svc/ops.\n"
	    "\n"
	    "Members CSV: one 'card,tier' a line; a first line 'card,tier' is a header and\n"
	    "skipped; blank lines and lines starting with '#' are ignored; fields may be\n"
	    "quoted (\"a,b\", \"\" for a quote); CRLF and a UTF-8 BOM are fine. A card is 1..32\n"
	    "printable ASCII characters, a tier one of the site's tier ids (checked against\n"
	    "state/_site; 'Gold' is read as 'gold'). A card listed twice with the same tier\n"
	    "is sent once; with two tiers each of its lines is bad. Every bad line is\n"
	    "reported as FILE:LINE. With any bad line nothing is imported and vqctl exits 1;\n"
	    "with --skip-bad the good lines are imported and vqctl still exits 1. Members go\n"
	    "in batches of --batch (1..%d, default %d), each applied whole by vqd; on an\n"
	    "error the batches before it stay imported. A card vqd already has takes the\n"
	    "file's tier, so importing a file again is safe. Progress goes to stderr.\n"
	    "\n"
	    "Times are local HH:MM in the site's timezone (state/_site), with the UTC offset\n"
	    "where the clocks show a time twice (\"03:30 UTC+3\"); in UTC, marked so, when\n"
	    "the site does not say or its zone is not installed here.\n"
	    "\n"
	    "Every request has its own id; after a timeout vqctl asks once more with the\n"
	    "same id, so a command is never applied twice. When vqd says the operator's\n"
	    "rate limit is reached (rate_limited), vqctl waits as long as vqd asks and sends\n"
	    "the same request again.\n"
	    "\n"
	    "Exit status: 0 done; 1 refused (vqd's error is printed as 'vqctl: CODE: message',\n"
	    "or the CSV had bad lines); 2 usage error or unreadable file; 3 cannot reach the\n"
	    "broker or vqd (no broker, refused credentials, no answer, vqd not running).\n",
	    VQCTL_MAX_THROUGHPUT, VQCTL_MAX_STANDBY, VQCTL_DEFAULT_TIMEOUT, vq_busopt_usage(),
	    VQCTL_MAX_BATCH, VQCTL_DEFAULT_BATCH);
}

cJSON *vqctl_request(const vqctl_args *a, const char *rid, const char **suffix)
{
	static const char *const cmds[] = {
	    [VQCTL_STATUS] = "status",
	    [VQCTL_CAPACITY] = "capacity",
	    [VQCTL_CLOSE] = "close",
	    [VQCTL_REOPEN] = "reopen",
	    [VQCTL_STANDBY] = "standby",
	    [VQCTL_MEMBER] = "member",
	    [VQCTL_STATS] = "stats",
	    [VQCTL_KEYS] = "keys",
	    [VQCTL_KEYS_ROTATE] = "keys_rotate",
	    [VQCTL_KEYS_RETIRE] = "keys_retire",
	    [VQCTL_TIERS] = "tiers",
	    [VQCTL_TIER] = "tier",
	    [VQCTL_PASSES] = "passes",
	};
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddNumberToObject(o, "v", 1) || !cJSON_AddStringToObject(o, "rid", rid))
		goto fail;
	*suffix = "svc/ops";
	if (a->cmd == VQCTL_TICKET) {
		*suffix = "svc/lookup";
		if (a->code[0] ? !cJSON_AddStringToObject(o, "code", a->code)
		               : !cJSON_AddNumberToObject(o, "ticket", (double)a->ticket_id))
			goto fail;
		return o;
	}
	if (a->cmd <= 0 || (size_t)a->cmd >= sizeof cmds / sizeof cmds[0] || !cmds[a->cmd] ||
	    !cJSON_AddStringToObject(o, "cmd", cmds[a->cmd]))
		goto fail;
	switch (a->cmd) {
	case VQCTL_CAPACITY:
		if (!cJSON_AddStringToObject(o, "attraction", a->attraction) ||
		    (a->throughput >= 0 &&
		     !cJSON_AddNumberToObject(o, "throughput_per_hour", a->throughput)) ||
		    (a->share >= 0 && !cJSON_AddNumberToObject(o, "fast_share_pct", a->share)) ||
		    (a->overbook >= 0 && !cJSON_AddNumberToObject(o, "overbook_pct", a->overbook)))
			goto fail;
		break;
	case VQCTL_CLOSE:
	case VQCTL_REOPEN:
		if (!cJSON_AddStringToObject(o, "attraction", a->attraction))
			goto fail;
		break;
	case VQCTL_STANDBY:
		if (!cJSON_AddStringToObject(o, "attraction", a->attraction) ||
		    !cJSON_AddNumberToObject(o, "minutes", a->minutes))
			goto fail;
		break;
	case VQCTL_MEMBER:
		if (!cJSON_AddStringToObject(o, "card", a->card))
			goto fail;
		break;
	case VQCTL_PASSES:
		if (a->attraction[0] && !cJSON_AddStringToObject(o, "attraction", a->attraction))
			goto fail;
		break;
	case VQCTL_KEYS_RETIRE:
		if (!cJSON_AddNumberToObject(o, "kid", a->kid) ||
		    (a->force && !cJSON_AddBoolToObject(o, "force", 1)))
			goto fail;
		break;
	case VQCTL_TIER:
		if (!cJSON_AddStringToObject(o, "tier", a->tier))
			goto fail;
		for (int k = 0; k < 5; k++)
			if (a->tier_rule[k] >= 0 &&
			    !cJSON_AddNumberToObject(o, vqctl_tier_rules[k][1], a->tier_rule[k]))
				goto fail;
		break;
	default:
		break;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}
