/* tests/support/browser.h — Debian's headless chromium for a Check test, through the
 * driver tests/browser/driver.mjs (puppeteer-core, from the project's npm lock file).
 *
 * The driver is a child process (node) of the calling thread that dies with it; the test
 * talks to it one JSON line each way (the commands are listed in driver.mjs). Assertions
 * stay in the test: a command returns the driver's "value" as cJSON.
 *
 * vq_test_browser_start returns VQ_OK, or VQ_EDENIED with the reason in why when the
 * browser cannot run here (no node, no npm packages, no chromium): the caller skips
 * with that message. Any other failure is VQ_EBUS.
 */
#ifndef VQ_TEST_BROWSER_H
#define VQ_TEST_BROWSER_H

#include <stddef.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "core/vq.h"

typedef struct vq_test_browser vq_test_browser;

int vq_test_browser_start(vq_test_browser **out, char *why, size_t whylen);
/* Sends {"cmd":cmd, ...fields} (fields: the inside of a JSON object, printf-made, or
 * "") and waits up to timeout_ms for the answer. VQ_OK: *value is the driver's value
 * (the caller deletes it; may be a JSON null). VQ_EINVAL: the driver said no (its error
 * in err); VQ_ETIMEOUT; VQ_EBUS if the driver died. */
int vq_test_browser_cmd(vq_test_browser *b, int timeout_ms, cJSON **value, char *err, size_t errlen,
                        const char *cmd, const char *fields_fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Closes its stdin (the driver closes chromium), waits, reaps. NULL is fine. */
void vq_test_browser_stop(vq_test_browser *b);

/* A page test's main: finds the built pages (into pages, $VQ_BINARY_DIR/web) with
 * <page>/index.html, lighttpd and the browser (into *browser), runs suite's tests and
 * stops the browser. 77 (ctest's skip) with the reason on stdout when any is missing;
 * EXIT_FAILURE when the driver fails or a test does. */
int vq_test_browser_main(const char *test, const char *page, Suite *suite, char *pages,
                         size_t pageslen, vq_test_browser **browser);

#endif
