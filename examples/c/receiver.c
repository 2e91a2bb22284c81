/*
 * How to avoid head-of-line blocking on both sides of a heartbeat, in one small program.
 *
 *  - The SENDER has its own timer thread: it sends a heartbeat every interval and never waits
 *    for a reply or for other work (a heartbeat must not queue behind big messages).
 *  - The RECEIVER has its own thread that does nothing but receive datagrams and record them
 *    with the time taken right where the datagram arrived (phifd_now_ns() after recv returns),
 *    straight into the monitor: phifd_heartbeat is cheap and thread-safe, so no queue is needed.
 *  - The MAIN thread does the server's "real work" - here a deliberately slow loop that blocks for
 *    300 ms at a time, like a disk write in a single update queue - and polls the monitor between
 *    jobs. Because arrival times were taken by the receiver thread, the slow main loop cannot make
 *    a healthy peer look late.
 *
 * Runs for about 3 s on 127.0.0.1 and exits 0 if no peer was ever suspected.
 * Build: cc -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude examples/c/receiver.c \
 *          target/release/libphifd.a -lpthread -ldl -lm
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "phifd.h"

#define MS 1000000ULL
#define INTERVAL (50 * MS)

static phifd_monitor *monitor;
static atomic_int running = 1;
static int rx_fd;
static struct sockaddr_in rx_addr;

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

/* The sender: heartbeats on its own timer, payload "node generation". */
static void *sender(void *arg) {
    uint64_t node = (uint64_t)(uintptr_t)arg;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    uint64_t next = phifd_now_ns();
    while (atomic_load(&running)) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "%" PRIu64 " 1", node);
        sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)&rx_addr, sizeof rx_addr);
        next += INTERVAL;
        uint64_t now = phifd_now_ns();
        if (next > now) sleep_ns(next - now);
    }
    close(fd);
    return NULL;
}

/* The receiver: stamp at arrival, record at once. */
static void *receiver(void *arg) {
    (void)arg;
    char buf[64];
    while (atomic_load(&running)) {
        ssize_t n = recv(rx_fd, buf, sizeof buf - 1, 0);
        uint64_t arrived = phifd_now_ns(); /* taken where the datagram arrives */
        if (n <= 0) continue;              /* timeout: check `running` again */
        buf[n] = 0;
        uint64_t node = 0, generation = 0;
        if (sscanf(buf, "%" SCNu64 " %" SCNu64, &node, &generation) != 2) continue;
        phifd_status st = phifd_heartbeat(monitor, node, generation, arrived);
        if (st != PHIFD_OK && st != PHIFD_ERR_STALE_GENERATION)
            fprintf(stderr, "heartbeat: %s\n", phifd_last_error_message());
    }
    return NULL;
}

int main(void) {
    phifd_config *cfg = NULL;
    phifd_config_new(&cfg);
    phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL);
    phifd_config_set_heartbeat_interval_ns(cfg, INTERVAL);
    if (phifd_monitor_new(cfg, &monitor) != PHIFD_OK) {
        fprintf(stderr, "monitor: %s\n", phifd_last_error_message());
        return 1;
    }
    phifd_config_free(cfg);

    rx_fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&rx_addr, 0, sizeof rx_addr);
    rx_addr.sin_family = AF_INET;
    rx_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {0, 20000};
    setsockopt(rx_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socklen_t len = sizeof rx_addr;
    if (bind(rx_fd, (struct sockaddr *)&rx_addr, sizeof rx_addr) != 0 ||
        getsockname(rx_fd, (struct sockaddr *)&rx_addr, &len) != 0) {
        perror("bind");
        return 1;
    }

    pthread_t rx, tx[3];
    pthread_create(&rx, NULL, receiver, NULL);
    for (uintptr_t i = 0; i < 3; i++) pthread_create(&tx[i], NULL, sender, (void *)(i + 1));

    int suspicions = 0;
    for (int job = 0; job < 10; job++) {
        sleep_ns(300 * MS); /* the "real work": 6 heartbeat intervals without looking */
        phifd_event ev[16];
        size_t n = 0;
        phifd_monitor_poll(monitor, phifd_now_ns(), ev, 16, &n);
        for (size_t i = 0; i < n; i++) {
            if (ev[i].to == PHIFD_STATE_SUSPECT || ev[i].to == PHIFD_STATE_FAILED) suspicions++;
            printf("node %" PRIu64 ": %u -> %u (phi %.2f)\n", ev[i].node, ev[i].from, ev[i].to, ev[i].phi);
        }
    }
    atomic_store(&running, 0);
    for (int i = 0; i < 3; i++) pthread_join(tx[i], NULL);
    pthread_join(rx, NULL);
    for (uint64_t node = 1; node <= 3; node++) {
        double phi = 0;
        phifd_phi(monitor, node, phifd_now_ns(), &phi);
        printf("node %" PRIu64 ": phi now %.2f\n", node, phi);
    }
    phifd_monitor_free(monitor);
    printf("%d suspicions while the main loop blocked for 300 ms at a time\n", suspicions);
    return suspicions == 0 ? 0 : 1;
}
