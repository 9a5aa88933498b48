-- After 50-*-config.lua, which turn the monitors on, and before 90-enable-all.lua, which starts them.
-- The test's PipeWire has only its own null nodes: no sound cards, no cameras.
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
