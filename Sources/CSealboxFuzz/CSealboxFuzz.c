#include "CSealboxFuzz.h"

// LeakSanitizer's switches, present only in a sanitized binary: weak, so the ordinary build links.
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

void csealbox_fuzz_ignoring_leaks(void (*body)(void)) {
    if (__lsan_disable) __lsan_disable();
    body();
    if (__lsan_enable) __lsan_enable();
}
