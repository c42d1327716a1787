/* status.c — rnnbptt_strerror and the version string, both generated from the header's tables. */
#include "util/util.h"

#define RB_STR2(x) #x
#define RB_STR(x) RB_STR2(x)

const char *rnnbptt_version_string(void)
{
    return RB_STR(RNNBPTT_VERSION_MAJOR) "." RB_STR(RNNBPTT_VERSION_MINOR) "." RB_STR(
        RNNBPTT_VERSION_PATCH);
}

const char *rnnbptt_strerror(rnnbptt_status s)
{
    switch (s) {
#define RB_STATUS_CASE(name, msg) \
    case RNNBPTT_##name:          \
        return msg;
        RNNBPTT_STATUS_MAP(RB_STATUS_CASE)
#undef RB_STATUS_CASE
    }
    return "unknown status";
}
