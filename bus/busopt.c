/* bus/busopt.c — parses the broker connection options shared by every vq program. */
#include "bus/busopt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* One HOST[:PORT] of a list, appended. */
static int add_broker(vq_busopt *bo, const char *v, size_t len)
{
	if (bo->nbrokers >= VQ_BUS_MAX_BROKERS)
		return -1;
	char item[300];
	if (len == 0 || len >= sizeof item)
		return -1;
	memcpy(item, v, len);
	item[len] = '\0';
	const char *colon = strrchr(item, ':');
	size_t hlen = colon ? (size_t)(colon - item) : len;
	if (hlen == 0 || hlen >= sizeof bo->hosts[0])
		return -1;
	int port = 0;
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return -1;
		port = (int)p;
	}
	memcpy(bo->hosts[bo->nbrokers], item, hlen);
	bo->hosts[bo->nbrokers][hlen] = '\0';
	bo->ports[bo->nbrokers] = port;
	bo->nbrokers++;
	return 0;
}

/* A comma-separated list of HOST[:PORT]; replaces the list, or (append) adds to it. On
 * failure the list is as it was. */
static int set_brokers(vq_busopt *bo, const char *v, bool append)
{
	char hosts[VQ_BUS_MAX_BROKERS][256];
	int ports[VQ_BUS_MAX_BROKERS];
	size_t n = bo->nbrokers;
	memcpy(hosts, bo->hosts, sizeof hosts);
	memcpy(ports, bo->ports, sizeof ports);
	if (!append)
		bo->nbrokers = 0;
	for (const char *p = v;;) {
		size_t len = strcspn(p, ",");
		if (add_broker(bo, p, len) != 0) {
			memcpy(bo->hosts, hosts, sizeof hosts);
			memcpy(bo->ports, ports, sizeof ports);
			bo->nbrokers = n;
			return -1;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	copy(bo->host, sizeof bo->host, bo->hosts[0]);
	bo->port = bo->ports[0];
	return 0;
}

void vq_busopt_init(vq_busopt *bo, const char *role)
{
	memset(bo, 0, sizeof *bo);
	set_brokers(bo, "127.0.0.1", false);
	copy(bo->role, sizeof bo->role, role);
	const char *e;
	if ((e = getenv("VQ_BROKER")) && *e)
		set_brokers(bo, e, false); /* a bad one keeps the default */
	if ((e = getenv("VQ_SITE")))
		copy(bo->site, sizeof bo->site, e);
	if ((e = getenv("VQ_USER")))
		copy(bo->user, sizeof bo->user, e);
	if ((e = getenv("VQ_PASSWORD")))
		copy(bo->password, sizeof bo->password, e);
	if ((e = getenv("VQ_CREDENTIALS")))
		copy(bo->credentials, sizeof bo->credentials, e);
}

int vq_busopt_parse(vq_busopt *bo, int argc, char **argv, int *i, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off, size;
	} strs[] = {
	    {"--site", offsetof(vq_busopt, site), sizeof((vq_busopt *)0)->site},
	    {"--user", offsetof(vq_busopt, user), sizeof((vq_busopt *)0)->user},
	    {"--password", offsetof(vq_busopt, password), sizeof((vq_busopt *)0)->password},
	    {"--credentials", offsetof(vq_busopt, credentials),
	     sizeof((vq_busopt *)0)->credentials},
	    {"--tls-ca", offsetof(vq_busopt, tls_ca), sizeof((vq_busopt *)0)->tls_ca},
	    {"--tls-cert", offsetof(vq_busopt, tls_cert), sizeof((vq_busopt *)0)->tls_cert},
	    {"--tls-key", offsetof(vq_busopt, tls_key), sizeof((vq_busopt *)0)->tls_key},
	    {"--tls-dir", offsetof(vq_busopt, tls_dir), sizeof((vq_busopt *)0)->tls_dir},
	};
	const char *arg = argv[*i];
	int is_broker = strcmp(arg, "--broker") == 0;
	size_t which = sizeof strs / sizeof strs[0];
	for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
		if (strcmp(arg, strs[k].name) == 0)
			which = k;
	if (!is_broker && which == sizeof strs / sizeof strs[0])
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", arg);
		return -1;
	}
	const char *v = argv[++*i];
	(*i)++;
	if (is_broker) {
		if (set_brokers(bo, v, bo->brokers_given) != 0) {
			snprintf(
			    err, errlen,
			    "--broker: expected HOST[:PORT] or a comma-separated list of up to %d, "
			    "got '%s'",
			    VQ_BUS_MAX_BROKERS, v);
			return -1;
		}
		bo->brokers_given = 1;
		return 1;
	}
	if (strlen(v) >= strs[which].size) {
		snprintf(err, errlen, "%s: value too long", arg);
		return -1;
	}
	copy((char *)bo + strs[which].off, strs[which].size, v);
	return 1;
}

int vq_busopt_credentials(const char *path, const char *name, char *password, size_t pwlen,
                          char *role, size_t rolelen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return VQ_ENOTFOUND;
	char line[512];
	int rc = VQ_ENOTFOUND;
	while (fgets(line, sizeof line, f)) {
		char n[128], r[128], p[256];
		if (line[0] == '#' || sscanf(line, "%127s %127s %255s", n, r, p) != 3)
			continue;
		if (strcmp(n, name) == 0) {
			copy(password, pwlen, p);
			if (role)
				copy(role, rolelen, r);
			rc = VQ_OK;
			break;
		}
	}
	fclose(f);
	return rc;
}

int vq_busopt_finish(vq_busopt *bo, char *err, size_t errlen)
{
	if (!bo->site[0]) {
		snprintf(err, errlen, "no site: give --site (or VQ_SITE)");
		return VQ_EINVAL;
	}
	if (!bo->user[0]) {
		snprintf(err, errlen, "no account: give --user (or VQ_USER)");
		return VQ_EINVAL;
	}
	if (bo->tls_dir[0]) {
		size_t n = sizeof bo->tls_ca;
		bool fits = true;
		if (!bo->tls_ca[0])
			fits &= (size_t)snprintf(bo->tls_ca, n, "%s/ca.crt", bo->tls_dir) < n;
		if (!bo->tls_cert[0])
			fits &= (size_t)snprintf(bo->tls_cert, n, "%s/devices/%s.crt", bo->tls_dir,
			                         bo->user) < n;
		if (!bo->tls_key[0])
			fits &= (size_t)snprintf(bo->tls_key, n, "%s/devices/%s.key", bo->tls_dir,
			                         bo->user) < n;
		if (!fits) {
			snprintf(err, errlen, "--tls-dir: path too long");
			return VQ_EINVAL;
		}
	}
	if (!bo->tls_ca[0] && (bo->tls_cert[0] || bo->tls_key[0])) {
		snprintf(err, errlen, "--tls-cert and --tls-key need --tls-ca (or --tls-dir)");
		return VQ_EINVAL;
	}
	if (!bo->tls_cert[0] != !bo->tls_key[0]) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return VQ_EINVAL;
	}
	if (!bo->password[0] && bo->credentials[0] && !bo->tls_cert[0] &&
	    vq_busopt_credentials(bo->credentials, bo->user, bo->password, sizeof bo->password,
	                          NULL, 0) != VQ_OK) {
		snprintf(err, errlen, "no password for '%s' in %s", bo->user, bo->credentials);
		return VQ_EINVAL;
	}
	memset(&bo->opts, 0, sizeof bo->opts);
	bo->opts.host = bo->host;
	bo->opts.port = bo->port;
	if (bo->nbrokers > 1) {
		for (size_t i = 0; i < bo->nbrokers; i++)
			bo->addrs[i] = (vq_bus_addr){bo->hosts[i], bo->ports[i]};
		bo->opts.brokers = bo->addrs;
		bo->opts.nbrokers = bo->nbrokers;
	}
	bo->opts.site = bo->site;
	bo->opts.username = bo->user;
	bo->opts.password = bo->password[0] ? bo->password : NULL;
	bo->opts.role = bo->role[0] ? bo->role : NULL;
	bo->opts.tls_cafile = bo->tls_ca[0] ? bo->tls_ca : NULL;
	bo->opts.tls_certfile = bo->tls_cert[0] ? bo->tls_cert : NULL;
	bo->opts.tls_keyfile = bo->tls_key[0] ? bo->tls_key : NULL;
	return VQ_OK;
}

const char *vq_busopt_usage(void)
{
	return "  --broker HOST[:PORT]  broker address (127.0.0.1:1883; env VQ_BROKER); a list\n"
	       "                        a:p,b:p (or --broker again) for bridged brokers: the\n"
	       "                        next is tried when one is lost\n"
	       "  --site ID             site id (env VQ_SITE)\n"
	       "  --user NAME           account, also the client id (env VQ_USER)\n"
	       "  --credentials FILE    'NAME ROLE PASSWORD' lines from vq-accounts\n"
	       "                        (env VQ_CREDENTIALS)\n"
	       "  --password PW         instead of --credentials (env VQ_PASSWORD)\n"
	       "  --tls-ca FILE --tls-cert FILE --tls-key FILE   TLS with a device certificate\n"
	       "                        (its CN is the account: --user must be the same)\n"
	       "  --tls-dir DIR         TLS with DIR/ca.crt, DIR/devices/<user>.crt and .key\n"
	       "                        (as vq-accounts --tls lays them out)\n";
}
