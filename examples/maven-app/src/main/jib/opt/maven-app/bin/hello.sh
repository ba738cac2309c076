#!/bin/sh
exec java -cp /app/resources:/app/classes:/app/libs/* com.example.hello.HelloService "$@"
