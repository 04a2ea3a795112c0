package main

import "testing"

func TestMakeUserIsAPureFunctionOfID(t *testing.T) {
	a, b := makeUser(12345), makeUser(12345)
	if a.Name != b.Name || a.Email != b.Email || a.CreatedAt != b.CreatedAt || len(a.Tags) != len(b.Tags) {
		t.Fatalf("makeUser(12345) differs between calls: %+v vs %+v", a, b)
	}
	if a.Email != "user12345@example.com" {
		t.Fatalf("unexpected email %q", a.Email)
	}
}
