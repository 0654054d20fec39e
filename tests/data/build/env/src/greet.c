#include <stdio.h>
int main(void) { puts("hello from the build image"); return 0; }
