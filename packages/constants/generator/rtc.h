/*
 * Emitters shared by the generator's C sources. Each one places an `.ascii "@rtc ..."` line in
 * the assembly output (gcc -S); codegen.mjs parses those lines. The "i" constraint makes the
 * compiler fold the value to a literal, so nothing is ever run.
 *
 *   @rtc const <group> <NAME> <high>:<low>
 *   @rtc struct <name> <size> <align>
 *   @rtc field <struct> <field> <offset> <size>
 */
#ifndef RTC_H
#define RTC_H

#include <stddef.h>

#define RTC(fmt, ...) __asm__ volatile("\n.ascii \"@rtc " fmt "\"" : : __VA_ARGS__)
/* A value is printed as two signed 32-bit halves (high, low): x86_64 cannot print an immediate
 * that does not fit in 32 bits (CLONE_CLEAR_SIGHAND is 1 << 32). codegen.mjs joins them. */
#define HI(v) "i"((int)((long long)(v) >> 32))
#define LO(v) "i"((int)(unsigned)((unsigned long long)(v) & 0xffffffffu))
#define C(group, name) RTC("const " #group " " #name " %c0:%c1", HI(name), LO(name))
/* A constant whose C spelling differs from its key. */
#define CV(group, name, value) RTC("const " #group " " #name " %c0:%c1", HI(value), LO(value))
/* %c prints an immediate without the target's '$' or '#' prefix. */
#define STRUCT(name, type) RTC("struct " #name " %c0 %c1", "i"(sizeof(type)), "i"(_Alignof(type)))
#define FIELD(name, type, f) \
  RTC("field " #name " " #f " %c0 %c1", "i"(offsetof(type, f)), "i"(sizeof(((type *)0)->f)))

#endif
