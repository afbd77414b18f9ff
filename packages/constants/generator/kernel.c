/*
 * Kernel UAPI values that clash with glibc's headers, so they live in their own translation
 * unit (see rtc.h for how the values are read). Records here are appended to their group.
 */
#include <asm/fcntl.h>
#include <asm/termbits.h> /* the kernel's struct termios, which TCGETS fills (not glibc's) */

#include "rtc.h"

void rtc_kernel(void);
void rtc_kernel(void) {
  /* glibc says 0 on x86_64/aarch64 (64-bit open() always implies it); the kernel's bit is what
   * F_GETFL and /proc/<pid>/fdinfo report. */
  C(fcntl, O_LARGEFILE);

  /* Terminal attributes as ioctl(TCGETS) returns them: where the control characters are. */
  C(termios, VEOF);
  C(termios, NCCS);
  STRUCT(termios, struct termios);
  FIELD(termios, struct termios, c_cc);
}
