/* hello: prints a greeting using libhello. */
#include <stdio.h>
#include <string.h>

#include "hello.h"

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hello %s\n", hello_version());
        return 0;
    }
    puts(hello_greeting(argc > 1 ? argv[1] : NULL));
    return 0;
}
