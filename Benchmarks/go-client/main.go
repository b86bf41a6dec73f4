// The Go side of Benchmarks/rpc-client.sh: grpc-go unary calls at a fixed concurrency against
// the peer's Go backend, reporting the client's CPU per call (getrusage), in the same output
// format as halo-rpc-bench. Built in GOPATH mode against Debian's Go libraries and the peer's
// generated demo/gen/demov1 (see rpc-client.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	pb "demo/gen/demov1"

	"google.golang.org/grpc"
)

func cpuNanoseconds() int64 {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return usage.Utime.Nano() + usage.Stime.Nano()
}

// drive keeps `concurrency` calls in flight for `duration`, each with a 5 s deadline (as ours).
func drive(client pb.VideoServiceClient, concurrency int, duration time.Duration) (int64, int64, float64) {
	var calls, failures int64
	start := time.Now()
	end := start.Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			request := &pb.GetVideoRequest{Id: 1}
			for time.Now().Before(end) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := client.GetVideo(ctx, request)
				cancel()
				if err != nil {
					atomic.AddInt64(&failures, 1)
				} else {
					atomic.AddInt64(&calls, 1)
				}
			}
		}()
	}
	wg.Wait()
	return calls, failures, time.Since(start).Seconds()
}

func main() {
	target := flag.String("target", "127.0.0.1:9090", "server address")
	concurrency := flag.Int("concurrency", 32, "calls in flight")
	duration := flag.Float64("duration", 5, "seconds measured")
	warmup := flag.Float64("warmup", 1, "seconds of warm-up first")
	flag.Parse()

	conn, err := grpc.Dial(*target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := pb.NewVideoServiceClient(conn)

	drive(client, *concurrency, time.Duration(*warmup*float64(time.Second)))
	before := cpuNanoseconds()
	calls, failures, elapsed := drive(client, *concurrency, time.Duration(*duration*float64(time.Second)))
	cpu := float64(cpuNanoseconds()-before) / 1000
	perCall := cpu
	if calls > 0 {
		perCall = cpu / float64(calls)
	}
	fmt.Printf("mode=go calls=%d failures=%d seconds=%.3f rps=%d cpu_us_per_call=%.3f\n",
		calls, failures, elapsed, int64(float64(calls)/elapsed), perCall)
}
