/* core/day.h — one local calendar day of the site, as instants.
 *
 * A site's hours are wall-clock times in its zone ("09:00", "24:00"); core needs instants.
 * The I/O layer (clock/zone.h) reads the zone's UTC offsets from the tz database and
 * hands them here as a timeline; core works out the day from them and never looks a zone
 * up itself. A day is the stretch of real time [start, end) whose local date is `date`:
 * usually 24 hours, 23 or 25 on the days the clocks change, other lengths where a zone
 * shifts by other amounts; begun by a gap where clocks skip over midnight.
 *
 * The rule for wall-clock times (docs/architecture.md, "Local days"):
 *   - a time that occurs once is that instant;
 *   - a time that falls in a gap (the clocks skip over it) is the gap's end, the first
 *     instant the clock shows it or later: opening at 03:30 on a day that jumps from 03:00
 *     to 04:00 opens at 04:00;
 *   - a time that occurs twice (the clocks go back over it) opens at its first
 *     occurrence and closes at its last: the attraction is open for every instant whose
 *     wall clock shows a time in [open, close), and the hour shown twice is worked twice;
 *   - nothing lies outside the day: opening and closing are clipped to [start, end].
 * Days of one zone tile time: the end of one is the start of the next.
 */
#ifndef VQ_DAY_H
#define VQ_DAY_H

#include "vq.h"

#define VQ_DAY_MAX_SPANS 8 /* offsets within one day; real zones have at most 3 */

/* The zone's UTC offset holds from `from` until the next span's `from`. */
typedef struct vq_offset_span {
	int64_t from;   /* Unix seconds */
	int32_t offset; /* seconds east of UTC, |offset| <= 26 h */
} vq_offset_span;

typedef struct vq_day {
	int32_t date;  /* the local date: days since 1970-01-01 in the proleptic calendar */
	int64_t start; /* the first instant whose local date is `date` or later */
	int64_t end;   /* the first instant whose local date is after `date`; start <= end */
	int nspans;    /* 1..VQ_DAY_MAX_SPANS */
	vq_offset_span spans[VQ_DAY_MAX_SPANS]; /* spans[0].from == start, `from` increasing,
	                                           each < end; neighbours differ in offset */
} vq_day;

/* Builds the day of local date `date` from a timeline of the zone's offsets: tl[i] holds
 * from tl[i].from until tl[i + 1].from, the last one until tl_end. The timeline must cover
 * the whole day with room on both sides (it starts before the day and ends after it).
 * VQ_EINVAL if it does not, if it is not in order, or if the day would need more than
 * VQ_DAY_MAX_SPANS offsets; *out is then untouched. */
int vq_day_make(int32_t date, const vq_offset_span *tl, int n, int64_t tl_end, vq_day *out);

/* The day of `date` in a zone that always keeps offset (UTC: 0). VQ_EINVAL if out of range. */
int vq_day_fixed(int32_t date, int32_t offset, vq_day *out);

/* Checks what vq_day_make promises: a day from elsewhere (a test, a file) is used only if
 * this says VQ_OK. */
int vq_day_check(const vq_day *d);

/* Wall-clock minutes after the day's midnight (0..1440; 1440 is the next midnight) as the
 * instant an attraction opens, or closes, by the rule above. */
int64_t vq_day_opening(const vq_day *d, int minute);
int64_t vq_day_closing(const vq_day *d, int minute);

/* The offset in force at t (the first span's before the day, the last one's after it). */
int32_t vq_day_offset(const vq_day *d, int64_t t);
/* The day's length in seconds: 86400 but on the days clocks change. */
int64_t vq_day_length(const vq_day *d);

/* Calendar dates: days since 1970-01-01 <-> year, month (1..12), day (1..31). */
int32_t vq_date_from_ymd(int y, int m, int d);
void vq_date_to_ymd(int32_t date, int *y, int *m, int *d);
/* The local date of instant t at offset off (floor division, so before 1970 is right). */
int32_t vq_date_of(int64_t t, int32_t off);

#endif
