/*
 * Host helper for the errno messages: prints strerror(n) for each number given, one per line.
 * Unlike constants.c this one is built for and run on the build machine; glibc's messages are
 * the same on every architecture. No setlocale(): the C locale gives the English text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) puts(strerror(atoi(argv[i])));
  return 0;
}
