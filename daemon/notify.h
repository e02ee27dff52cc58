/*
 * notify.h - the systemd notification protocol (sd_notify(3)): one
 * datagram per state change to $NOTIFY_SOCKET. Every call is a no-op when
 * NOTIFY_SOCKET is not set, so portd behaves the same outside systemd.
 */
#ifndef PORTD_NOTIFY_H
#define PORTD_NOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET (an absolute path, or "@name" for an abstract
 * socket) and WATCHDOG_USEC/WATCHDOG_PID from the environment, and unsets
 * them, so children do not inherit them. Call after log_init(). */
void	notify_init(void);
/* Sends one message ("READY=1\nSTATUS=..."). 0, or -1 (logged once). */
int	notify_send(const char *msg);
/* Watchdog period in microseconds; 0 when WatchdogSec= is not set, when
 * WATCHDOG_PID names another process, or without a NOTIFY_SOCKET. */
uint64_t notify_watchdog_usec(void);

#endif
