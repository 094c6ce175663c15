/* kiosk/kiosk_spool.h — the printable copies of a ticket, written to a spool folder.
 *
 * For every ticket issued the kiosk writes two files named by the ticket id:
 *   ticket-<id>.png   the ticket drawn as a receipt (black on white, with its QR code),
 *                     576 pixels wide: an 80 mm thermal printer at 203 dpi
 *   ticket-<id>.txt   the same as plain UTF-8 text, 32 columns (a 58 mm printer's Font A
 *                     line); the ticket code stands alone on one line starting "VQ1:",
 *                     and, when the kiosk has a phone page, the link to it stands alone
 *                     on a line starting "http", so a print filter can turn each into the
 *                     printer's own QR command
 * Each file is written under a temporary name and renamed, so a printer daemon watching
 * the folder never picks up half a ticket; writing the same ticket again replaces both.
 */
#ifndef VQ_KIOSK_SPOOL_H
#define VQ_KIOSK_SPOOL_H

#include <stddef.h>

#include "kiosk/kiosk_state.h"
#include "ui/ui.h"

#define KIOSK_PRINT_W    576
#define KIOSK_PRINT_COLS 32

/* The text form of the ticket on screen into out. VQ_EINVAL if no ticket is shown,
 * VQ_ETOOBIG if out is too small (it then holds a cut copy). */
int kiosk_ticket_text(kiosk *k, char *out, size_t outlen);

/* Writes both files for the ticket on screen into dir. The PNG is drawn in ui's frame
 * and read back, so the caller must redraw the screen afterwards (the kiosk is marked
 * dirty). png and txt (may be NULL) receive the paths. VQ_EINVAL (no ticket), VQ_ESTORE
 * (cannot write), VQ_ENOMEM. */
int kiosk_spool_write(vq_ui *ui, kiosk *k, const char *dir, char *png, char *txt, size_t pathlen);

#endif
