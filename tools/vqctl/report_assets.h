/* tools/vqctl/report_assets.h — the day report page's own script and style
 * (web/report/report.js and report.css), compiled into vqctl by tools/embed.cmake so the
 * program writes a whole page wherever it is installed. */
#ifndef VQCTL_REPORT_ASSETS_H
#define VQCTL_REPORT_ASSETS_H

#include <stddef.h>

extern const char vqctl_report_js[];
extern const size_t vqctl_report_js_len;
extern const char vqctl_report_css[];
extern const size_t vqctl_report_css_len;

#endif
