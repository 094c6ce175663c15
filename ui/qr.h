/* ui/qr.h — QR codes on screen, for ticket codes a phone photographs or a gate scans.
 *
 * Error correction level M (15 %: survives a smudge or a glare spot), the smallest version
 * that holds the text, modes chosen by libqrencode (a "VQ1:" ticket code is all QR
 * alphanumeric characters, so it packs densely), case kept. Always dark modules on white
 * with a quiet zone of 4 modules, every module the same whole number of pixels: blurred
 * or uneven modules are what makes scanners fail.
 */
#ifndef VQ_UI_QR_H
#define VQ_UI_QR_H

#include "ui/ui.h"

#define VQ_QR_QUIET 4 /* modules of white around the symbol */

/* The symbol's width in modules for text (quiet zone not included). VQ_EINVAL for an
 * empty text, VQ_ETOOBIG if it cannot fit in any QR version, VQ_ENOMEM. */
int vq_qr_modules(const char *text, int *modules);

/* Draws text as a QR code: the symbol and its quiet zone form the largest square with a
 * whole module size that fits in box, centred there. drawn (may be NULL) gets that
 * square. VQ_EINVAL if box is too small for one pixel a module, besides vq_qr_modules'
 * errors. */
int vq_ui_qr(vq_ui *ui, vq_rect box, const char *text, vq_rect *drawn);

#endif
