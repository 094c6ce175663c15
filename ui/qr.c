/* ui/qr.c — QR codes with libqrencode (see qr.h).
 *
 * Owns nothing between calls: each call encodes afresh (a ticket screen draws one code,
 * and encoding takes well under a millisecond). The symbol is painted as horizontal runs
 * of dark modules on a white square, each module exactly m x m pixels.
 */
#include "ui/qr.h"

#include "ui/uipriv.h"
#include "ui/widgets.h"

#include <errno.h>
#include <qrencode.h>

static int encode(const char *text, QRcode **out)
{
	if (!text || !*text)
		return VQ_EINVAL;
	errno = 0;
	/* QR_MODE_8 as the hint only says "no Kanji": libqrencode still splits the text
	 * into numeric, alphanumeric and byte segments, whichever is shortest. */
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return errno == ERANGE ? VQ_ETOOBIG : errno == ENOMEM ? VQ_ENOMEM : VQ_EINVAL;
	*out = q;
	return VQ_OK;
}

int vq_qr_modules(const char *text, int *modules)
{
	QRcode *q = NULL;
	int rc = encode(text, &q);
	if (rc != VQ_OK)
		return rc;
	*modules = q->width;
	QRcode_free(q);
	return VQ_OK;
}

int vq_ui_qr(vq_ui *ui, vq_rect box, const char *text, vq_rect *drawn)
{
	QRcode *q = NULL;
	int rc = encode(text, &q);
	if (rc != VQ_OK) {
		ui_set_error(ui, "qr: cannot encode the text (%s)", vq_errname(rc));
		return rc;
	}
	int total = q->width + 2 * VQ_QR_QUIET;
	int side = box.w < box.h ? box.w : box.h;
	int m = side / total;
	if (m < 1) {
		ui_set_error(ui, "qr: %d modules do not fit in %d px", total, side);
		rc = VQ_EINVAL;
		goto cleanup;
	}
	int size = m * total;
	int x0 = box.x + (box.w - size) / 2, y0 = box.y + (box.h - size) / 2;
	vq_ui_fill(ui, (vq_rect){x0, y0, size, size}, 0, VQ_COL_WHITE);
	SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(ui->ren, 0, 0, 0, 255);
	for (int y = 0; y < q->width; y++) {
		const unsigned char *row = q->data + (size_t)y * (size_t)q->width;
		for (int x = 0; x < q->width;) {
			if (!(row[x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < q->width && (row[x + run] & 1))
				run++;
			SDL_Rect r = {x0 + (VQ_QR_QUIET + x) * m, y0 + (VQ_QR_QUIET + y) * m,
			              run * m, m};
			SDL_RenderFillRect(ui->ren, &r);
			x += run;
		}
	}
	if (drawn)
		*drawn = (vq_rect){x0, y0, size, size};
cleanup:
	QRcode_free(q);
	return rc;
}
