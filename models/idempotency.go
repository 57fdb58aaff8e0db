package models

import ()

// ErrIdempotencyBusy is a key that another request (on another instance)
// recorded first; its answer is the one to give.
var ErrIdempotencyBusy = &Error{Code: ECONFLICT, Message: "this Idempotency-Key is being used by another request"}
