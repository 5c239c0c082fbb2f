"""A song as the groove model reads it: the time grid, the guitar's features under one column table, bars and
sections, shared by training and generation; and a folder of songs encoded once (`corpus`, through its `cache`),
shared by training and evaluation."""
