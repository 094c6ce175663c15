/* bus/busopt.h — the command-line options every vq program uses to reach the broker.
 *
 * One parser, so vqd, vqctl, vq-bench and the screens all accept the same words:
 *   --broker HOST[:PORT][,HOST[:PORT]...]   (default 127.0.0.1:1883; env VQ_BROKER)
 *                          brokers of one site, bridged: the bus moves on to the next when
 *                          it loses one; repeating --broker adds to the list
 *   --site ID              (env VQ_SITE)
 *   --user NAME            account = client id (env VQ_USER)
 *   --password PW          (env VQ_PASSWORD; prefer --credentials)
 *   --credentials FILE     lines "NAME ROLE PASSWORD" as broker-config/vq-accounts writes
 *                          them; the password of --user is taken from it (env VQ_CREDENTIALS)
 *   --tls-ca FILE --tls-cert FILE --tls-key FILE
 *                          TLS with a device certificate, whose CN must be --user
 *   --tls-dir DIR          the same from a folder laid out as vq-accounts --tls makes it:
 *                          DIR/ca.crt, DIR/devices/<user>.crt and .key (so a program that
 *                          connects as several accounts, vq-sim or vq-bench, finds each
 *                          account's own); --tls-ca/--tls-cert/--tls-key given win
 */
#ifndef VQ_BUSOPT_H
#define VQ_BUSOPT_H

#include "bus/bus.h"

typedef struct vq_busopt {
	vq_bus_opts opts; /* ready for vq_bus_new after vq_busopt_finish */
	char host[256];   /* the first broker */
	int port;         /* its port; 0: the default */
	char hosts[VQ_BUS_MAX_BROKERS][256];
	int ports[VQ_BUS_MAX_BROKERS];
	size_t nbrokers;   /* brokers given (at least the default one) */
	int brokers_given; /* --broker seen: a first one replaces the default or VQ_BROKER */
	vq_bus_addr addrs[VQ_BUS_MAX_BROKERS];
	char site[VQ_BUS_ID_MAX];
	char user[VQ_BUS_ID_MAX];
	char password[256];
	char role[VQ_BUS_ID_MAX];
	char credentials[512];
	char tls_ca[512], tls_cert[512], tls_key[512], tls_dir[512];
} vq_busopt;

/* Fills defaults from the environment. */
void vq_busopt_init(vq_busopt *bo, const char *role);

/* If argv[*i] is one of the options above, consumes it and its value (advancing *i past
 * them) and returns 1; returns 0 if it is not ours, -1 with a message in err if its
 * value is missing or bad. */
int vq_busopt_parse(vq_busopt *bo, int argc, char **argv, int *i, char *err, size_t errlen);

/* Fills the TLS files from --tls-dir, reads the password from the credentials file when
 * none was given and no certificate is used, checks that site and user are set, and fills
 * bo->opts. VQ_EINVAL with a message in err otherwise. */
int vq_busopt_finish(vq_busopt *bo, char *err, size_t errlen);

/* Looks up NAME's password (and role, if role is not NULL) in a credentials file. */
int vq_busopt_credentials(const char *path, const char *name, char *password, size_t pwlen,
                          char *role, size_t rolelen);

/* The option lines for a usage message. */
const char *vq_busopt_usage(void);

#endif
