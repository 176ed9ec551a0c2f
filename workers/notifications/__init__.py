"""Jobs of the notification domain: the fan-out of events and the channels' deliveries."""
