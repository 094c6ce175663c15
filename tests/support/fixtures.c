/* tests/support/fixtures.c — see fixtures.h. */
#include "fixtures.h"

const char VQ_TEST_SITE[] =
    "{\"version\":1,\"id\":\"t\",\"name\":\"T\",\"timezone\":\"UTC\",\"languages\":[\"en\"],"
    "\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"tiers\":["
    "{\"id\":\"standard\",\"names\":{\"en\":\"S\"},\"protect_pct\":0,\"release_min\":0,"
    "\"max_passes\":1,\"horizon_min\":120,\"late_grace_min\":0},"
    "{\"id\":\"silver\",\"names\":{\"en\":\"Si\"},\"protect_pct\":30,\"release_min\":45,"
    "\"max_passes\":2,\"horizon_min\":180,\"late_grace_min\":5},"
    "{\"id\":\"gold\",\"names\":{\"en\":\"G\"},\"protect_pct\":20,\"release_min\":30,"
    "\"max_passes\":3,\"horizon_min\":240,\"late_grace_min\":10},"
    "{\"id\":\"platinum\",\"names\":{\"en\":\"P\"},\"protect_pct\":10,\"release_min\":20,"
    "\"max_passes\":4,\"horizon_min\":720,\"late_grace_min\":15}],"
    "\"attractions\":["
    "{\"id\":\"coaster\",\"prefix\":\"C\",\"names\":{\"en\":\"Coaster\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":5,\"late_grace_min\":10,"
    "\"max_party\":8},"
    "{\"id\":\"desk\",\"prefix\":\"H\",\"names\":{\"en\":\"Desk\"},\"kind\":\"service\","
    "\"throughput_per_hour\":24,\"fast_share_pct\":100,\"slot_min\":10,\"window_min\":20,"
    "\"open\":\"10:00\",\"close\":\"18:00\",\"max_party\":4},"
    "{\"id\":\"flume\",\"prefix\":\"F\",\"names\":{\"en\":\"Flume\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":300,\"fast_share_pct\":40,\"slot_min\":30,\"window_min\":60,"
    "\"open\":\"09:30\",\"close\":\"19:30\",\"early_grace_min\":0,\"late_grace_min\":5,"
    "\"max_party\":6}]}";

const vq_day *vq_test_day(int64_t midnight)
{
	static vq_day ring[8];
	static unsigned next;
	vq_day *d = &ring[next++ % 8];
	vq_day_fixed((int32_t)(midnight / 86400), 0, d);
	return d;
}
