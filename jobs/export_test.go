package jobs

import "time"

// Test hooks: run a scheduled tick by hand, and name the instance.

func (s *Scheduler) Tick(name string, scheduled time.Time) { s.tick(s.entries[name], scheduled) }

func (s *Scheduler) SetInstance(name string) { s.instance = name }
