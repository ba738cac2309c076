FROM scratch
COPY right.txt /
