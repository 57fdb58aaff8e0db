package models

import ()

// Network summarises the active route network.
type Network struct {
	Routes       map[string]int `json:"routes"`
	Destinations int            `json:"destinations"`
	Countries    int            `json:"countries"`
}
