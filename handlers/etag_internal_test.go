package handlers

import (
	"fmt"
	"testing"
)

// What the answer cache keeps stays within its bounds whatever clients ask.
func TestAnswerCacheBounds(t *testing.T) {
	var a answerCache
	body := make([]byte, 200<<10)
	a.put(1, "2024-10-01", "big", cachedAnswer{body: make([]byte, maxCachedAnswer+1)})
	if _, ok := a.get(1, "2024-10-01", "big"); ok {
		t.Fatal("an answer over the size bound was kept")
	}
	for i := range 1000 {
		a.put(1, "2024-10-01", fmt.Sprint(i), cachedAnswer{body: body})
		if a.bytes > maxCachedBytes || len(a.answers) > maxCachedAnswers {
			t.Fatalf("after %d answers: %d bytes in %d answers", i+1, a.bytes, len(a.answers))
		}
	}
	if _, ok := a.get(1, "2024-10-01", "999"); !ok {
		t.Fatal("the newest answer is not kept")
	}
	// A slow request's answer for an older version does not replace newer ones.
	a.put(2, "2024-10-01", "x", cachedAnswer{body: []byte("new")})
	a.put(1, "2024-10-01", "y", cachedAnswer{body: []byte("old")})
	if _, ok := a.get(2, "2024-10-01", "x"); !ok {
		t.Fatal("an older version's answer emptied the newer ones")
	}
	if _, ok := a.get(1, "2024-10-01", "y"); ok {
		t.Fatal("an older version's answer was kept")
	}
	// Another day starts afresh.
	if _, ok := a.get(2, "2024-10-02", "x"); ok {
		t.Fatal("yesterday's answer served today")
	}
}
