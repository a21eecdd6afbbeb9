#define _GNU_SOURCE
#include "CKeelSystem.h"
#include <pthread.h>
#include <sched.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define KEEL_PR_FUTEX_HASH 78
#define KEEL_PR_FUTEX_HASH_SET_SLOTS 1

int keel_set_futex_hash_slots(unsigned long slots) {
#ifdef __linux__
    return prctl(KEEL_PR_FUTEX_HASH, KEEL_PR_FUTEX_HASH_SET_SLOTS, slots, 0, 0);
#else
    (void)slots;
    return -1;
#endif
}

int keel_pin_thread_to_cpu(int cpu) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
#else
    (void)cpu;
    return -1;
#endif
}

int keel_current_cpu(void) {
#ifdef __linux__
    return sched_getcpu();
#else
    return -1;
#endif
}
