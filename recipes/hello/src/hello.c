/* libhello implementation. */
#include <stdio.h>

#include "hello.h"

static char buffer[256];

const char *hello_greeting(const char *name) {
    snprintf(buffer, sizeof buffer, "Hello, %s!", name ? name : "world");
    return buffer;
}

const char *hello_version(void) {
    return "1.0.0";
}
