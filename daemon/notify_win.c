/*
 * notify_win.c - the daemon's state changes on Windows (see notify.h):
 * there is no sd_notify; under the service manager READY=1 and
 * STOPPING=1 become service states (windows-service/service.c), and
 * nothing happens in a console. No watchdog.
 */
#include <stdint.h>

#include "notify.h"
#include "service.h"

void
notify_init(void)
{
}

int
notify_send(const char *msg)
{
	service_notify(msg);
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	return 0;
}
