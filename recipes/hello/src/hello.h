/* libhello: the smallest useful library. */
#ifndef HELLO_H
#define HELLO_H

/* Returns a static greeting for `name` (or "world" when NULL). The string is valid until the
 * next call. */
const char *hello_greeting(const char *name);

/* The library version as "major.minor.patch". */
const char *hello_version(void);

#endif
