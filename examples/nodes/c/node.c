/*
 * node.c — a cluster node speaking the phifd heartbeat protocol over UDP (C11 + pthreads).
 * A template for a real server: one thread sends heartbeats, one receives them, the main thread
 * polls the failure detector, follows the leader and prints one JSON object per line.
 *
 *   node --id N --port P --peers ID:PORT,... --state-dir DIR [--interval-ms 100] [--key-file PATH]
 *
 * With --key-file (a file whose raw bytes, 16 to 64 of them, are the cluster's shared key, key id 1)
 * every datagram it sends is signed (the 68-byte authenticated format) and only datagrams that
 * verify under the key are accepted; without it, the 56-byte unauthenticated format is used (for a
 * trusted, isolated network only). Every datagram goes through phifd_monitor_receive, which counts
 * each rejection; the view lines carry the counters ("rejected"). Only the peers named in --peers
 * are monitored (fixed membership): a heartbeat from any other id is refused and counted.
 *
 * Exits 0 on SIGTERM/SIGINT or when stdin reaches end of file (the orchestrator's pipe closed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "phifd.h"

#define MAX_PEERS 64
#define KEY_ID 1u /* the id of the --key-file key in every node's keyring */

static const char *STATE_NAMES[] = {"UNKNOWN", "ALIVE", "SUSPECT", "FAILED"};

struct peer {
    uint64_t id;
    struct sockaddr_in addr;
};

static struct {
    uint64_t id, incarnation, interval_ns;
    struct peer peers[MAX_PEERS];
    size_t npeers;
    int fd;
    phifd_monitor *monitor;
    phifd_generation *term; /* in-memory term clock; thread-safe */
    phifd_keyring *keyring; /* NULL without --key-file; thread-safe */
    pthread_mutex_t lock;   /* guards the fields below */
    bool leading;
    int64_t leader;               /* -1: none known */
    uint64_t highest_leader_term; /* highest term heard from a leader's heartbeat */
} node = {.lock = PTHREAD_MUTEX_INITIALIZER, .leader = -1};

static atomic_bool running = true;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&running, false);
}

static void die(const char *what, phifd_status s) {
    fprintf(stderr, "node %" PRIu64 ": %s: %s: %s\n", node.id, what, phifd_status_name(s), phifd_last_error_message());
    exit(1);
}

static uint64_t current_term(void) {
    uint64_t t = 0;
    phifd_status s = phifd_generation_current(node.term, &t);
    if (s != PHIFD_OK) die("term", s);
    return t;
}

/* Prints one JSON object (printf-style) as a line and flushes stdout. */
static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    flockfile(stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    funlockfile(stdout);
    va_end(ap);
}

static void send_datagram(const struct sockaddr_in *to, const phifd_datagram *d) {
    uint8_t buf[PHIFD_AUTH_DATAGRAM_SIZE];
    size_t n = 0;
    phifd_status s = node.keyring ? phifd_datagram_encode_auth(node.keyring, d, buf, sizeof buf, &n)
                                  : phifd_datagram_encode(d, buf, sizeof buf, &n);
    if (s != PHIFD_OK) die("encode", s);
    (void)sendto(node.fd, buf, n, 0, (const struct sockaddr *)to, sizeof *to); /* never waits */
}

static void sleep_until(struct timespec *next, uint64_t step_ns) {
    next->tv_nsec += (long)(step_ns % 1000000000u);
    next->tv_sec += (time_t)(step_ns / 1000000000u) + next->tv_nsec / 1000000000L;
    next->tv_nsec %= 1000000000L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR && atomic_load(&running)) {
    }
}

/* Every interval: a heartbeat to every peer. */
static void *sender(void *arg) {
    (void)arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t seq = 1; atomic_load(&running); seq++) {
        pthread_mutex_lock(&node.lock);
        bool leading = node.leading;
        pthread_mutex_unlock(&node.lock);
        phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT,
                            leading ? PHIFD_DATAGRAM_FLAG_LEADER : 0,
                            node.id,
                            node.incarnation,
                            current_term(),
                            seq,
                            phifd_now_ns()};
        for (size_t i = 0; i < node.npeers; i++) send_datagram(&node.peers[i].addr, &d);
        sleep_until(&next, node.interval_ns);
    }
    return NULL;
}

/* Adopts a term seen from peer `from`; steps down if it is newer and we lead. */
static void observe_term(uint64_t term, uint64_t from) {
    bool newer = false;
    phifd_status s = phifd_generation_observe(node.term, term, &newer);
    if (s != PHIFD_OK) return; /* a term beyond 2^48 is damage: ignore it */
    pthread_mutex_lock(&node.lock);
    if (newer && node.leading) {
        node.leading = false;
        node.leader = -1;
        emit("{\"ev\":\"step_down\",\"node\":%" PRIu64 ",\"term\":%" PRIu64 ",\"told_by\":%" PRIu64 ",\"t\":%" PRIu64
             "}",
             node.id, term, from, phifd_now_ns());
    }
    pthread_mutex_unlock(&node.lock);
}

/* A heartbeat that phifd_monitor_receive has verified (with a key) and counted as an arrival. */
static void on_heartbeat(const phifd_datagram *d, const struct sockaddr_in *from) {
    uint64_t ours = current_term();
    bool leader_flag = (d->flags & PHIFD_DATAGRAM_FLAG_LEADER) != 0;
    if (leader_flag && d->term < ours) { /* a stale leader: tell it the newer term */
        phifd_datagram reply = {PHIFD_DATAGRAM_STALE_REPLY, 0, node.id, node.incarnation, ours, 0, phifd_now_ns()};
        send_datagram(from, &reply);
        emit("{\"ev\":\"stale_reply_sent\",\"node\":%" PRIu64 ",\"to\":%" PRIu64 ",\"their_term\":%" PRIu64
             ",\"our_term\":%" PRIu64 ",\"t\":%" PRIu64 "}",
             node.id, d->node, d->term, ours, phifd_now_ns());
        return;
    }
    observe_term(d->term, d->node);
    if (!leader_flag) return;
    pthread_mutex_lock(&node.lock);
    if (d->term > node.highest_leader_term) node.highest_leader_term = d->term;
    if (node.leader != (int64_t)d->node) {
        node.leader = (int64_t)d->node;
        emit("{\"ev\":\"follow\",\"node\":%" PRIu64 ",\"leader\":%" PRIu64 ",\"term\":%" PRIu64 ",\"t\":%" PRIu64 "}",
             node.id, d->node, d->term, phifd_now_ns());
    }
    pthread_mutex_unlock(&node.lock);
}

/* Receives datagrams until stopped; the arrival time is taken as soon as one arrives. */
static void *receiver(void *arg) {
    (void)arg;
    uint8_t buf[512];
    while (atomic_load(&running)) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(node.fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        uint64_t arrival = phifd_now_ns();
        if (n < 0) continue; /* timeout (to check `running`) or interrupted */
        /* Verify (with a key), decode and record in one call; every refusal is counted in the
         * monitor's stats. Only a heartbeat that counted as an arrival goes on to the leader
         * logic: a replay, a duplicate, an older incarnation or an unknown id changes nothing. */
        phifd_datagram d;
        bool counted = false;
        phifd_status s = phifd_monitor_receive(node.monitor, node.keyring, buf, (size_t)n, arrival, &d, &counted);
        if (s != PHIFD_OK) continue;
        if (d.kind == PHIFD_DATAGRAM_HEARTBEAT && counted) {
            on_heartbeat(&d, &from);
        } else if (d.kind == PHIFD_DATAGRAM_STALE_REPLY && d.node != node.id) {
            observe_term(d.term, d.node);
        }
    }
    return NULL;
}

/* Exits the process when stdin reaches end of file: the orchestrator is gone. */
static void *stdin_watcher(void *arg) {
    (void)arg;
    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    atomic_store(&running, false);
    return NULL;
}

static void print_view(uint64_t now) {
    phifd_snapshot_entry e[MAX_PEERS];
    size_t total = 0;
    phifd_status s = phifd_monitor_snapshot(node.monitor, now, e, MAX_PEERS, &total);
    if (s != PHIFD_OK) die("snapshot", s);
    char peers[MAX_PEERS * 160] = "";
    size_t used = 0;
    for (size_t i = 0; i < total && i < MAX_PEERS; i++) {
        used += (size_t)snprintf(peers + used, sizeof peers - used,
                                 "%s{\"peer\":%" PRIu64 ",\"state\":\"%s\",\"phi\":%.3f,\"generation\":%" PRIu64
                                 ",\"mean_ms\":%.3f,\"until_fail_ms\":%.3f}",
                                 i ? "," : "", e[i].node, STATE_NAMES[e[i].state & 3], e[i].phi, e[i].generation,
                                 e[i].mean_ns / 1e6, (double)e[i].time_until_failure_ns / 1e6);
    }
    phifd_monitor_stats st = {.size = sizeof st};
    if ((s = phifd_monitor_get_stats(node.monitor, &st)) != PHIFD_OK) die("stats", s);
    pthread_mutex_lock(&node.lock);
    char leader[24] = "null";
    if (node.leader >= 0) snprintf(leader, sizeof leader, "%" PRId64, node.leader);
    emit("{\"ev\":\"view\",\"node\":%" PRIu64 ",\"t\":%" PRIu64 ",\"term\":%" PRIu64 ",\"leader\":%s,\"role\":\"%s\","
         "\"peers\":[%s],\"rejected\":{\"malformed\":%" PRIu64 ",\"bad_mac\":%" PRIu64 ",\"unknown_key\":%" PRIu64
         ",\"replayed\":%" PRIu64 ",\"unknown_node\":%" PRIu64 ",\"bad_generation\":%" PRIu64 "}}",
         node.id, now, current_term(), leader, node.leading ? "leader" : "follower", peers, st.rejected_malformed,
         st.rejected_bad_mac, st.rejected_unknown_key, st.rejected_replayed, st.rejected_unknown_node,
         st.rejected_bad_generation);
    pthread_mutex_unlock(&node.lock);
}

/* True if this node has the lowest id among itself and the peers it sees ALIVE. */
static bool lowest_alive(uint64_t now) {
    phifd_snapshot_entry e[MAX_PEERS];
    size_t total = 0;
    if (phifd_monitor_snapshot(node.monitor, now, e, MAX_PEERS, &total) != PHIFD_OK) return false;
    for (size_t i = 0; i < total && i < MAX_PEERS; i++)
        if (e[i].state == PHIFD_STATE_ALIVE && e[i].node < node.id) return false;
    return true;
}

static void usage(void) {
    fprintf(stderr,
            "usage: node --id N --port P --peers ID:PORT,... --state-dir DIR [--interval-ms 100] [--key-file PATH]\n");
    exit(2);
}

/* Reads the key file (raw bytes) into a new keyring under KEY_ID; exits with a message naming the
 * file on any problem (unreadable, wrong length). */
static void load_key(const char *path) {
    uint8_t key[128];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "node %" PRIu64 ": --key-file %s: %s\n", node.id, path, strerror(errno));
        exit(2);
    }
    size_t len = fread(key, 1, sizeof key, f);
    fclose(f);
    phifd_status s = phifd_keyring_new(&node.keyring);
    if (s != PHIFD_OK) die("keyring", s);
    s = phifd_keyring_add_key(node.keyring, KEY_ID, key, len);
    memset(key, 0, sizeof key);
    if (s != PHIFD_OK) {
        fprintf(stderr, "node %" PRIu64 ": --key-file %s: %s (make one with: head -c 32 /dev/urandom > %s)\n", node.id,
                path, phifd_last_error_message(), path);
        exit(2);
    }
}

static void parse_args(int argc, char **argv, uint16_t *port, const char **dir, const char **key_file) {
    const char *peers = NULL;
    uint64_t interval_ms = 100;
    bool have_id = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--id") == 0)
            node.id = strtoull(argv[i + 1], NULL, 10), have_id = true;
        else if (strcmp(argv[i], "--port") == 0)
            *port = (uint16_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--peers") == 0)
            peers = argv[i + 1];
        else if (strcmp(argv[i], "--state-dir") == 0)
            *dir = argv[i + 1];
        else if (strcmp(argv[i], "--interval-ms") == 0)
            interval_ms = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--key-file") == 0)
            *key_file = argv[i + 1];
        else
            usage();
    }
    if (argc % 2 == 0 || !have_id || *port == 0 || peers == NULL || *dir == NULL || interval_ms == 0) usage();
    node.interval_ns = interval_ms * 1000000u;
    for (const char *p = peers; *p != '\0' && node.npeers < MAX_PEERS;) {
        char *end = NULL;
        uint64_t id = strtoull(p, &end, 10);
        if (*end != ':') usage();
        unsigned long peer_port = strtoul(end + 1, &end, 10);
        struct peer *q = &node.peers[node.npeers++];
        q->id = id;
        q->addr.sin_family = AF_INET;
        q->addr.sin_port = htons((uint16_t)peer_port);
        q->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        p = *end == ',' ? end + 1 : end;
    }
}

int main(int argc, char **argv) {
    uint16_t port = 0;
    const char *dir = NULL, *key_file = NULL;
    parse_args(argc, argv, &port, &dir, &key_file);
    if (key_file != NULL) load_key(key_file);

    /* 1. Durable incarnation; in-memory term starting at 1. */
    char path[4096];
    snprintf(path, sizeof path, "%s/node-%" PRIu64 ".incarnation", dir, node.id);
    phifd_generation *incarnation = NULL;
    phifd_status s = phifd_generation_open(path, &incarnation);
    if (s != PHIFD_OK) die("incarnation", s);
    if ((s = phifd_generation_current(incarnation, &node.incarnation)) != PHIFD_OK) die("incarnation", s);
    if ((s = phifd_generation_new_in_memory(1, &node.term)) != PHIFD_OK) die("term", s);

    /* 2. The monitor, with every peer registered. */
    phifd_config *cfg = NULL;
    if ((s = phifd_config_new(&cfg)) != PHIFD_OK) die("config", s);
    if ((s = phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL)) != PHIFD_OK ||
        (s = phifd_config_set_heartbeat_interval_ns(cfg, node.interval_ns)) != PHIFD_OK ||
        (s = phifd_config_set_threshold(cfg, 8.0)) != PHIFD_OK ||
        (s = phifd_config_set_suspect_threshold(cfg, 3.0)) != PHIFD_OK ||
        (s = phifd_config_set_membership(cfg, PHIFD_MEMBERSHIP_FIXED)) != PHIFD_OK ||
        (s = phifd_monitor_new(cfg, &node.monitor)) != PHIFD_OK)
        die("monitor", s);
    phifd_config_free(cfg);
    uint64_t now = phifd_now_ns();
    uint64_t lowest = node.id;
    for (size_t i = 0; i < node.npeers; i++) {
        if ((s = phifd_node_add(node.monitor, node.peers[i].id, 0, now)) != PHIFD_OK) die("node_add", s);
        if (node.peers[i].id < lowest) lowest = node.peers[i].id;
    }
    node.leading = lowest == node.id;
    if (node.leading) node.leader = (int64_t)node.id;

    /* 3. The socket: receives time out so the receiver notices a stop. */
    node.fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
    if (node.fd < 0 || setsockopt(node.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        bind(node.fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("socket");
        return 1;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    emit("{\"ev\":\"start\",\"node\":%" PRIu64 ",\"lang\":\"c\",\"pid\":%ld,\"generation\":%" PRIu64
         ",\"term\":%" PRIu64 ",\"auth\":%s,\"t\":%" PRIu64 "}",
         node.id, (long)getpid(), node.incarnation, current_term(), node.keyring ? "true" : "false", now);

    pthread_t send_thread, recv_thread, watch_thread;
    pthread_create(&send_thread, NULL, sender, NULL);
    pthread_create(&recv_thread, NULL, receiver, NULL);
    pthread_create(&watch_thread, NULL, stdin_watcher, NULL);
    pthread_detach(watch_thread); /* blocked in read(); the process exits without it */

    /* 5-6. Poll, react to the leader's failure, print a view every 5 intervals. */
    uint64_t election_at = 0, failed_leader_term = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t tick = 1; atomic_load(&running); tick++) {
        sleep_until(&next, node.interval_ns);
        now = phifd_now_ns();
        phifd_event ev[64];
        size_t n = 0;
        if ((s = phifd_monitor_poll(node.monitor, now, ev, 64, &n)) != PHIFD_OK) die("poll", s);
        for (size_t i = 0; i < n; i++) {
            emit("{\"ev\":\"state\",\"node\":%" PRIu64 ",\"peer\":%" PRIu64 ",\"kind\":\"%s\",\"from\":\"%s\","
                 "\"to\":\"%s\",\"phi\":%.3f,\"generation\":%" PRIu64 ",\"time_ns\":%" PRIu64 "}",
                 node.id, ev[i].node, ev[i].kind == PHIFD_EVENT_RESTARTED ? "RESTARTED" : "STATE_CHANGED",
                 STATE_NAMES[ev[i].from & 3], STATE_NAMES[ev[i].to & 3], ev[i].phi, ev[i].generation, ev[i].time_ns);
            pthread_mutex_lock(&node.lock);
            if (ev[i].to == PHIFD_STATE_FAILED && node.leader == (int64_t)ev[i].node) {
                node.leader = -1;
                failed_leader_term = node.highest_leader_term;
                election_at = now + node.id * 2 * node.interval_ns;
            }
            pthread_mutex_unlock(&node.lock);
        }
        if (election_at != 0 && now >= election_at) {
            election_at = 0;
            pthread_mutex_lock(&node.lock);
            bool newer_leader = node.highest_leader_term > failed_leader_term;
            pthread_mutex_unlock(&node.lock);
            if (!newer_leader && lowest_alive(now)) {
                uint64_t term = 0;
                if ((s = phifd_generation_advance(node.term, &term)) != PHIFD_OK) die("advance", s);
                pthread_mutex_lock(&node.lock);
                node.leading = true;
                node.leader = (int64_t)node.id;
                emit("{\"ev\":\"leader\",\"node\":%" PRIu64 ",\"term\":%" PRIu64 ",\"t\":%" PRIu64 "}", node.id, term,
                     phifd_now_ns());
                pthread_mutex_unlock(&node.lock);
            }
        }
        if (tick % 5 == 0) print_view(now);
    }

    pthread_join(send_thread, NULL);
    pthread_join(recv_thread, NULL);
    close(node.fd);
    phifd_monitor_free(node.monitor);
    phifd_generation_free(node.term);
    phifd_generation_free(incarnation);
    phifd_keyring_free(node.keyring); /* wipes the key bytes */
    return 0;
}
