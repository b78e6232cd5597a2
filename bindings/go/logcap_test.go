package logcap

import "testing"

func TestVersion(t *testing.T) {
	if Version() != HeaderVersion {
		t.Fatalf("library %q, header %q", Version(), HeaderVersion)
	}
}

func TestLimitsFromTheHeader(t *testing.T) {
	if MaxLabels != 64 || MaxFields != 1024 || RecordVersion != 1 || RecordHeaderLen != 20 ||
		MaxRecordBytes != 1<<20 || MaxRecordKeyBytes != 1024 {
		t.Fatal("the limits differ from docs/record-format.md")
	}
}

func TestStrPtr(t *testing.T) {
	if strPtr("") != nil || bytesPtr(nil) != nil || bytesPtr([]byte{}) != nil {
		t.Fatal("an empty string must be passed as NULL")
	}
	if strPtr("x") == nil || bytesPtr([]byte("x")) == nil {
		t.Fatal("a non-empty string must have an address")
	}
}
