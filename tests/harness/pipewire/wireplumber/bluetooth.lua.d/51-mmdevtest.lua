-- After 50-*-config.lua, which turn the monitors on, and before 90-enable-all.lua, which starts them.
-- No Bluetooth devices in the test's PipeWire.
bluez_monitor.enabled = false
