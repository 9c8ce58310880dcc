#pragma once
/// @file task_data.h
/// Synthetic sequence tasks as data sets (data/dataset.h, load_data): the data name
///   task:<task>[,vocab=V][,length=L][,pairs=K][,passes=P][,power_a=A][,tokens=M]
///        [,random_non_queries=0|1][,all_targets=0|1][,train=N][,test=N][,seed=S]
/// gives N train and N test examples of tasks/sequence_tasks.h (defaults: the task's own,
/// train 2000, test 500, seed 0; the test split is drawn with seed·2 + 1 and the train split
/// with seed·2, so they differ). x holds the token ids as floats [n, L]; y one label per
/// position (label_width = L, -100 where there is no target); classes = V.
#include <cstdint>
#include <string>

#include "ridgeline/data/dataset.h"
#include "ridgeline/tasks/sequence_tasks.h"

namespace ridgeline {

struct TaskDataName {
  SequenceTaskParams params;
  int train = 2000, test = 500;
  uint64_t seed = 0;
};

/// Whether `name` is a task data name ("task:" prefix).
bool is_task_data_name(const std::string& name);
/// Parses and checks a task data name; InputError naming it and the bad item otherwise.
TaskDataName parse_task_data_name(const std::string& name);
/// The split `split` ("train"/"test") of a generated batch as a data set.
Dataset task_dataset(const TaskBatch& b, const std::string& name);
/// Both splits of a task data name.
DataSplits load_task_data(const std::string& name);

}  // namespace ridgeline
