/* ui/png.c — screenshots as PNG files, through libpng's simplified write API.
 *
 * Owns nothing between calls. The simplified API keeps libpng's setjmp/longjmp error
 * handling inside libpng, so no jump ever crosses our cleanup paths.
 */
#include "ui/uipriv.h"

#include <png.h>
#include <stdio.h>
#include <string.h>

int ui_png_write_rgb(const char *path, int w, int h, const uint8_t *rgb, size_t stride, char *err,
                     size_t errlen)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_file(&img, path, 0, rgb, (png_int_32)stride, NULL)) {
		snprintf(err, errlen, "png %s: %s", path, img.message);
		png_image_free(&img);
		return VQ_ESTORE;
	}
	png_image_free(&img);
	return VQ_OK;
}
