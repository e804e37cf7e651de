// A header-only shim; SwiftPM wants one source file per C target.
#include "CSealboxFuzz.h"
