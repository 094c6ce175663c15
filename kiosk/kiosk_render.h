/* kiosk/kiosk_render.h — draws a kiosk display list (kiosk_view.h) with the ui layer.
 *
 * The renderer decides nothing: it paints the elements in order, so the frame shows
 * exactly what the layout put in the view, and buttons are registered for a script's
 * tap_id as they are drawn.
 */
#ifndef VQ_KIOSK_RENDER_H
#define VQ_KIOSK_RENDER_H

#include "kiosk/kiosk_view.h"
#include "ui/ui.h"

/* Paints v into the frame at (x, y) (0, 0 for a screen). VQ_OK, or the first drawing
 * error (the rest is still drawn; vq_ui_error says why). Does not present. */
int kiosk_render(vq_ui *ui, const kiosk_view *v, int x, int y);

#endif
