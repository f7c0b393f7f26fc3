// Loaded into every test process (package.json ava.nodeArguments): tests run as if outside
// systemd, whatever shell started them. A daemon child that inherited a developer's NOTIFY_SOCKET
// would talk to that service manager, and a start that cannot succeed would then wait an hour
// (firmware/cli/failed-start.ts) instead of exiting. The tests that want systemd set it themselves.
for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'KLUBKORT_KIOSK']) delete process.env[k];
