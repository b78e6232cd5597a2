package logcap

// This file holds only the export: a file with //export may declare, not define, C in its
// preamble.

/*
#include <stdint.h>
#include "logcap.h"
*/
import "C"

// lcgoOnBatch is the C callback of every Go callback sink (through lcgo_batch_thunk in
// lcgo.h); userdata is the sink's cgo.Handle.
//
//export lcgoOnBatch
func lcgoOnBatch(userdata C.uintptr_t, batch *C.logcap_batch) C.int32_t {
	return C.int32_t(onBatch(uintptr(userdata), batch))
}
