/* kiosk/kiosk_render.c — paints a display list (see kiosk_render.h).
 *
 * Owns nothing. A QR that cannot be drawn (a code too long for the box) leaves the box
 * white rather than failing the screen: the number and window are still on it.
 */
#include "kiosk/kiosk_render.h"

#include "ui/qr.h"
#include "ui/text.h"
#include "ui/widgets.h"

static vq_rect moved(vq_rect r, int x, int y)
{
	return (vq_rect){r.x + x, r.y + y, r.w, r.h};
}

int kiosk_render(vq_ui *ui, const kiosk_view *v, int x, int y)
{
	int first = VQ_OK;
	for (int i = 0; i < v->n; i++) {
		const kiosk_el *e = &v->el[i];
		vq_rect r = moved(e->r, x, y);
		int rc = VQ_OK;
		switch (e->kind) {
		case KEL_FILL:
			vq_ui_fill(ui, r, e->radius, e->bg);
			break;
		case KEL_TEXT: {
			vq_text_style st = {.px = e->px,
			                    .bold = e->bold,
			                    .color = e->fg,
			                    .align = e->align,
			                    .valign = e->valign,
			                    .wrap = e->wrap,
			                    .min_px = e->min_px};
			if (r.w > 0 && r.h > 0 && *kiosk_el_text(v, e))
				rc = vq_ui_text(ui, r, &st, kiosk_el_text(v, e), NULL);
			break;
		}
		case KEL_BUTTON: {
			vq_button b = {.id = e->id[0] ? e->id : NULL,
			               .r = r,
			               .label = kiosk_el_text(v, e),
			               .bg = e->bg,
			               .fg = e->fg,
			               .px = e->px,
			               .pressed = e->pressed,
			               .disabled = e->disabled};
			rc = vq_ui_button(ui, &b);
			break;
		}
		case KEL_QR:
			vq_ui_fill(ui, r, 0, VQ_COL_WHITE);
			if (*kiosk_el_text(v, e))
				rc = vq_ui_qr(ui, r, kiosk_el_text(v, e), NULL);
			break;
		default:
			break;
		}
		if (rc != VQ_OK && first == VQ_OK)
			first = rc;
	}
	return first;
}
