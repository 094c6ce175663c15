/* tools/vqctl/cli.h — vqctl's command line and the requests it turns into.
 *
 * Owns the words an operator types (commands, their arguments and options, checked
 * before anything goes on the wire), the exit codes, the usage text, request ids, and
 * the JSON body of every request. No I/O here beyond reading the environment for the
 * broker defaults, so all of it is unit-tested without a broker (tests/test_vqctl.c).
 */
#ifndef VQCTL_CLI_H
#define VQCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "bus/busopt.h"
#include "core/vq.h"

/* What vqctl's exit status means; scripts depend on these. */
enum vqctl_exit {
	VQCTL_EXIT_OK = 0,
	VQCTL_EXIT_REFUSED = 1,     /* vqd answered with an error, or the CSV had bad lines */
	VQCTL_EXIT_USAGE = 2,       /* bad command line, unreadable file */
	VQCTL_EXIT_UNREACHABLE = 3, /* no broker, refused credentials, no vqd, no answer */
};

enum vqctl_cmd {
	VQCTL_NONE = 0,
	VQCTL_HELP,
	VQCTL_STATUS,
	VQCTL_CAPACITY,
	VQCTL_CLOSE,
	VQCTL_REOPEN,
	VQCTL_STANDBY,
	VQCTL_IMPORT,
	VQCTL_MEMBER,
	VQCTL_STATS,
	VQCTL_TICKET,
	VQCTL_KEYS,
	VQCTL_KEYS_ROTATE,
	VQCTL_KEYS_RETIRE,
	VQCTL_TIERS,
	VQCTL_TIER,
	VQCTL_REPORT, /* reads the database itself: no broker */
	VQCTL_PASSES, /* the day's accessibility passes */
};

#define VQCTL_CARD_MAX         33 /* 1..32 printable ASCII (the store's limit) plus NUL */
#define VQCTL_CODE_MAX         512
#define VQCTL_DEFAULT_TIMEOUT  5000
#define VQCTL_DEFAULT_BATCH    500
#define VQCTL_MAX_BATCH        1000 /* members_import: 1..1000 a request (protocol.md) */
#define VQCTL_MAX_STANDBY      600
#define VQCTL_MAX_THROUGHPUT   100000
#define VQCTL_RID_MAX          65                 /* 1..64 printable ASCII plus NUL */
#define VQCTL_JSON_SAFE_ID_MAX 9007199254740991LL /* 2^53 - 1: exact in a JSON number */

typedef struct vqctl_args {
	vq_busopt bo;   /* broker options, through bus/busopt.h */
	int cmd;        /* enum vqctl_cmd */
	bool json;      /* --json: print the reply's JSON */
	int timeout_ms; /* --timeout: per request (and for connecting) */
	char attraction[VQ_ID_MAX];
	int throughput;   /* capacity: -1 = not given */
	int share;        /* capacity: -1 = not given */
	int overbook;     /* capacity: -1 = not given */
	int minutes;      /* standby */
	const char *file; /* members import: points into argv */
	int batch;        /* members import */
	bool skip_bad;    /* members import: send the good lines even if some are bad */
	char card[VQCTL_CARD_MAX];
	int64_t ticket_id;         /* ticket ID; 0 with --code */
	char code[VQCTL_CODE_MAX]; /* ticket --code */
	char tier[VQ_ID_MAX];      /* tier */
	int tier_rule[5];          /* tier: protect, release, max passes, horizon, late grace;
	                            * -1 = not given (the order of vqctl_tier_rules) */
	/* report: all point into argv */
	const char *db, *config, *out, *csv_dir, *chart_js;
	char date[11]; /* YYYY-MM-DD, or "" for the day of --at */
	int64_t at;    /* --at: the moment no-shows are judged at; -1 = now */
	int kid;                   /* keys retire */
	bool force;                /* keys retire --force */
} vqctl_args;

/* The tier rules an operator may change: option name and protocol field, in order. */
extern const char *const vqctl_tier_rules[5][2];

/* Defaults; the broker options start from the environment (VQ_BROKER, VQ_SITE, ...). */
void vqctl_args_init(vqctl_args *a);

/* Parses argv[1..argc). Options may come before or after the command words; "--" ends
 * the options. Returns VQCTL_EXIT_OK (a->cmd set; VQCTL_HELP for --help/help) or
 * VQCTL_EXIT_USAGE with a one-line message in err. Does not check the broker options
 * beyond their syntax: vq_busopt_finish does that, just before connecting. */
int vqctl_args_parse(vqctl_args *a, int argc, char **argv, char *err, size_t errlen);

/* The --help text. */
void vqctl_usage(FILE *out);

/* Strict whole-number parse: optional '-', digits only, within [min, max]. 0 or -1. */
int vqctl_parse_int(const char *s, long long min, long long max, long long *out);

/* Attraction and tier ids as the protocol has them: [a-z0-9_-]{1,31}. */
bool vqctl_valid_id(const char *s);
/* A member card: 1..32 printable ASCII (0x20..0x7e), not starting or ending in a space. */
bool vqctl_valid_card(const char *s);

/* "<user>-<unix>-<pid>-<seq>" in at most 64 characters; the user part is cut short if
 * it must be, so the counter always survives. Characters the protocol does not allow in
 * a rid become '_'. Returns the length. */
size_t vqctl_rid(char out[VQCTL_RID_MAX], const char *user, int64_t unix_s, long pid, unsigned seq);

/* The request for every command but members import: *suffix gets the topic suffix
 * ("svc/ops" or "svc/lookup"). Returns a new object with "v" and "rid", or NULL without
 * memory. */
cJSON *vqctl_request(const vqctl_args *a, const char *rid, const char **suffix);

#endif
