/* tools/vqctl/report_out.c — the report's files: the self-contained HTML page and the CSV
 * export (contract: report.h).
 *
 * Owns the bytes written: the page inlines the model as JSON (every '<' escaped, so no
 * data can close the script element), the chart library's source, and the page's own
 * script and style (web/report/, compiled in: report_assets.h). CSV follows RFC 4180
 * (quoted when a field holds a comma, a quote or a line break; CRLF line ends).
 */
#include "tools/vqctl/report.h"
#include "tools/vqctl/report_assets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* JSON inside <script>: "<" only occurs in strings, where \u003c means the same. */
static void json_in_script(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("\\u003c", f);
		else
			fputc(*s, f);
	}
}

static int contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

int vqctl_report_html(FILE *f, const cJSON *model, const char *chart_js, size_t len)
{
	if (!f || !model || !chart_js)
		return VQ_EINVAL;
	/* inline JavaScript ends at the first "</script", wherever it stands */
	if (contains_ci(chart_js, len, "</script") ||
	    contains_ci(vqctl_report_js, vqctl_report_js_len, "</script"))
		return VQ_EINVAL;
	char *json = cJSON_PrintUnformatted(model);
	if (!json)
		return VQ_ENOMEM;
	const cJSON *site = cJSON_GetObjectItemCaseSensitive(model, "site");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(site, "name");
	const cJSON *date = cJSON_GetObjectItemCaseSensitive(model, "date");
	fputs("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>",
	      f);
	html_text(f, cJSON_IsString(name) ? name->valuestring : "vq");
	fputs(" — day report ", f);
	html_text(f, cJSON_IsString(date) ? date->valuestring : "");
	fputs("</title>\n<style>\n", f);
	fwrite(vqctl_report_css, 1, vqctl_report_css_len, f);
	fputs("</style>\n</head>\n<body>\n"
	      "<noscript>This report draws its tables and charts with JavaScript; the figures "
	      "are also in the data block of this file.</noscript>\n"
	      "<main id=\"report\"></main>\n"
	      "<script type=\"application/json\" id=\"vq-report-data\">",
	      f);
	json_in_script(f, json);
	fputs("</script>\n<script>\n", f);
	fwrite(chart_js, 1, len, f);
	fputs("\n</script>\n<script>\n", f);
	fwrite(vqctl_report_js, 1, vqctl_report_js_len, f);
	fputs("\n</script>\n</body>\n</html>\n", f);
	free(json);
	return ferror(f) ? VQ_ESTORE : VQ_OK;
}

/* --- CSV -------------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

typedef struct csv_out {
	FILE *f;
	const vq_site *site;
	int64_t rows;
} csv_out;

static int csv_row(void *arg, int ncols, const char *const *names, const char *const *values)
{
	csv_out *c = arg;
	for (int i = 0; i < ncols; i++) {
		if (i)
			fputc(',', c->f);
		const char *v = values[i];
		if (!strcmp(names[i], "tier")) {
			const vq_tier *t = vq_site_tier(c->site, atoi(v));
			if (t)
				v = t->id;
		}
		csv_field(c->f, v);
	}
	fputs("\r\n", c->f);
	c->rows++;
	return ferror(c->f) ? VQ_ESTORE : 0;
}

static int csv_audit(void *arg, const vq_audit_entry *e)
{
	char id[24], at[24];
	snprintf(id, sizeof id, "%lld", (long long)e->id);
	snprintf(at, sizeof at, "%lld", (long long)e->at);
	static const char *const names[] = {"id", "at", "actor", "action", "detail"};
	const char *values[] = {id, at, e->actor, e->action, e->detail ? e->detail : ""};
	return csv_row(arg, 5, names, values);
}

/* Writes dir/name through a temporary file, so a reader never sees half a file. */
static int csv_file(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                    const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return VQ_ESTORE;
	}
	csv_out c = {.f = f, .site = site};
	int rc = VQ_OK;
	/* the columns of the store's queries (store_report.c), named even when no row comes */
	fputs(!strcmp(name, "tickets.csv")
	          ? "id,attraction,number,tier,party,slot_start,win_start,win_end,state,issued_at,"
	            "valid_from,valid_until,used_at,used_gate,used_offline,kind,issued_by\r\n"
	      : !strcmp(name, "admissions.csv")
	          ? "id,ticket,attraction,tier,party,gate,at,offline\r\n"
	          : "id,at,actor,action,detail\r\n",
	      f);
	if (!strcmp(name, "tickets.csv")) {
		for (int a = 0; a < vq_site_attr_count(site) && rc == VQ_OK; a++)
			rc = vq_store_reader_tickets(r, vq_site_attr(site, a)->id, day->from,
			                             day->until, csv_row, &c);
	} else if (!strcmp(name, "admissions.csv")) {
		rc = vq_store_reader_admissions(r, day->from, day->until, csv_row, &c);
	} else {
		rc = vq_store_reader_audit(r, day->from, day->until, csv_audit, &c);
	}
	int werr = ferror(f);
	if (fclose(f) != 0)
		werr = 1;
	if (rc == VQ_OK && werr) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno ? errno : EIO));
		rc = VQ_ESTORE;
	} else if (rc != VQ_OK) {
		snprintf(err, errlen, "%s: %s", name, vq_store_reader_errmsg(r));
	}
	if (rc == VQ_OK && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = VQ_ESTORE;
	}
	if (rc != VQ_OK)
		remove(tmp);
	return rc;
}

int vqctl_report_csv(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                     const char *dir, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(dir, &sb) != 0 && mkdir(dir, 0755) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return VQ_ESTORE;
	}
	static const char *const files[] = {"tickets.csv", "admissions.csv", "audit.csv"};
	for (size_t i = 0; i < 3; i++) {
		int rc = csv_file(r, site, day, dir, files[i], err, errlen);
		if (rc != VQ_OK)
			return rc;
	}
	return VQ_OK;
}
