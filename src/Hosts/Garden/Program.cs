Console.Error.WriteLine("sower-garden: not built yet");
return 1;
