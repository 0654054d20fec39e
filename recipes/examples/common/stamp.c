#include <stdio.h>
#ifndef STAMP
#define STAMP __DATE__
#endif
const char build_stamp[] = "built: " STAMP;
int main(void) { puts(build_stamp); return 0; }
